using System.Buffers;

namespace Ferry.Protocol.Postgres.Backend;

/// <summary>
/// ParameterDescription.
/// <code>
///  +-----+-------------+---------+-----------------------+
///  | 't' | len (int32) | n (i16) | n x type oid (int32)  |
///  +-----+-------------+---------+-----------------------+
/// </code>
/// </summary>
public static class ParameterDescription
{
    /// <summary>Returns the parameter count after checking the body holds exactly that many OIDs.</summary>
    public static int Read(in PostgresFrame frame)
    {
        MessageGuard.ExpectCode(frame, (byte)BackendMessageCode.ParameterDescription, "ParameterDescription");
        var reader = new PayloadReader(frame.Payload, "ParameterDescription");
        int count = reader.ReadCount16();
        reader.ReadBytes(count * 4L);
        reader.ExpectEnd();
        return count;
    }

    public static void Write(IBufferWriter<byte> writer, ReadOnlySpan<uint> types)
    {
        // body = count (2) + 4 per oid
        var w = WireWriter.Begin(writer, (byte)BackendMessageCode.ParameterDescription, 2 + (4 * types.Length), out int total);
        w.WriteInt16(checked((short)types.Length));
        foreach (uint oid in types)
        {
            w.WriteInt32((int)oid);
        }

        MessageGuard.Finish(writer, w, total);
    }
}
