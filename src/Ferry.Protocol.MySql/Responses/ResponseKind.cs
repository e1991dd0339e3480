using System.Buffers;
using Ferry.Protocol.MySql.Packets;

namespace Ferry.Protocol.MySql.Responses;

/// <summary>What the first byte of a server response packet says it is.</summary>
public enum ResponseKind
{
    Ok,
    Err,
    Eof,
    LocalInfile,

    /// <summary>Anything else: a result-set column count, column definition or row.</summary>
    Data,
}

/// <summary>Classifies server responses by their header byte and length.</summary>
public static class Response
{
    /// <summary>
    /// 0x00 = OK; 0xFF = ERR; 0xFE with fewer than 9 bytes = EOF (or, with CLIENT_DEPRECATE_EOF, an OK that ends
    /// a result set: reported as <see cref="ResponseKind.Eof"/>, read it with <see cref="OkPacket.Read"/>);
    /// 0xFB = LOCAL INFILE request. The classification is only meaningful where a response is expected.
    /// </summary>
    public static ResponseKind Classify(in ReadOnlySequence<byte> payload)
    {
        if (payload.IsEmpty)
        {
            return ResponseKind.Data;
        }

        byte first = payload.FirstSpan.Length > 0 ? payload.FirstSpan[0] : FirstByte(payload);
        return first switch
        {
            0x00 => ResponseKind.Ok,
            0xFF => ResponseKind.Err,
            0xFE when payload.Length < 9 => ResponseKind.Eof,
            0xFB => ResponseKind.LocalInfile,
            _ => ResponseKind.Data,
        };
    }

    private static byte FirstByte(in ReadOnlySequence<byte> payload)
    {
        var reader = new SequenceReader<byte>(payload);
        reader.TryPeek(out byte b);
        return b;
    }

    internal static bool Has(MySqlCapabilities capabilities, MySqlCapabilities flag) => (capabilities & flag) != 0;
}
