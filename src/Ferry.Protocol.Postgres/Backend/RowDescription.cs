using System.Buffers;

namespace Ferry.Protocol.Postgres.Backend;

/// <summary>
/// RowDescription: read for the field count and validated; the fields themselves are relayed raw.
/// <code>
///  +-----+-----+---------+---------------------------------------------------------------------+
///  | 'T' | len | n (i16) | n x (name\0, table oid i32, attnum i16, type oid i32, typlen i16,  |
///  |     |     |         |      typmod i32, format i16)                                       |
///  +-----+-----+---------+---------------------------------------------------------------------+
/// </code>
/// </summary>
public static class RowDescription
{
    /// <summary>Fixed bytes after each field name.</summary>
    private const int FieldTail = 4 + 2 + 4 + 2 + 4 + 2;

    /// <summary>Returns the number of fields after checking every field is complete.</summary>
    public static int Read(in PostgresFrame frame)
    {
        MessageGuard.ExpectCode(frame, (byte)BackendMessageCode.RowDescription, "RowDescription");
        var reader = new PayloadReader(frame.Payload, "RowDescription");
        int count = reader.ReadCount16();
        for (int i = 0; i < count; i++)
        {
            reader.ReadCString();
            reader.ReadBytes(FieldTail);
        }

        reader.ExpectEnd();
        return count;
    }
}
