using System.Buffers;
using Ferry.Protocol.MySql.Packets;

namespace Ferry.Protocol.MySql.Commands;

/// <summary>
/// COM_QUERY.
/// <code>
///  +------+--------------------------------------------------------+-----------------------+
///  | 0x03 | [QUERY_ATTRIBUTES: param count lenenc, set count lenenc,| query text (rest)     |
///  |      |  null bitmap, bound flag, types+names, values]          |                       |
///  +------+--------------------------------------------------------+-----------------------+
/// </code>
/// </summary>
public readonly struct ComQuery
{
    public ComQuery(ReadOnlySequence<byte> text, int attributeCount)
    {
        Text = text;
        AttributeCount = attributeCount;
    }

    public ReadOnlySequence<byte> Text { get; }

    /// <summary>Query attributes sent before the text (MySQL 8 CLIENT_QUERY_ATTRIBUTES), not decoded further.</summary>
    public int AttributeCount { get; }

    public static ComQuery Read(ReadOnlySequence<byte> payload, MySqlCapabilities capabilities = MySqlCapabilities.None)
    {
        MySqlPayloadReader r = MySqlCommand.Open(payload, CommandCode.Query, "COM_QUERY");
        int attributes = 0;
        if ((capabilities & MySqlCapabilities.QueryAttributes) != 0)
        {
            ulong count = r.ReadLengthEncoded();
            r.ReadLengthEncoded(); // parameter set count, always 1
            if (count > ushort.MaxValue)
            {
                MySqlThrow.Malformed("too many query attributes");
            }

            attributes = (int)count;
            if (attributes > 0)
            {
                BinaryParameters.Skip(ref r, attributes, withNames: true);
            }
        }

        return new ComQuery(r.ReadRest(), attributes);
    }

    /// <summary>Writes COM_QUERY (sequence id 0), splitting text of 16 MiB or more into continuation packets.</summary>
    public static void Write(IBufferWriter<byte> writer, ReadOnlySpan<byte> text)
    {
        if (text.Length + 1 < MySqlLimits.MaxPacketPayload)
        {
            var w = MySqlWireWriter.Begin(writer, 0, 1 + text.Length, out int total);
            w.WriteByte((byte)CommandCode.Query);
            w.WriteBytes(text);
            w.Finish(writer, total);
            return;
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(text.Length + 1);
        try
        {
            buffer[0] = (byte)CommandCode.Query;
            text.CopyTo(buffer.AsSpan(1));
            byte sequence = 0;
            MySqlPacketWriter.WritePayload(writer, ref sequence, buffer.AsSpan(0, text.Length + 1));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
