using System.Buffers;

namespace Ferry.Protocol.Postgres.Frontend;

/// <summary>
/// SASLInitialResponse (after AuthenticationSASL).
/// <code>
///  +-----+-------------+-------------+--------------------+------------------------+
///  | 'p' | len (int32) | mechanism\0 | data len (int32,   | data (client-first-    |
///  |     |             |             |  -1 = none)        |  message for SCRAM)    |
///  +-----+-------------+-------------+--------------------+------------------------+
/// </code>
/// </summary>
public readonly struct SaslInitialResponse
{
    public SaslInitialResponse(ReadOnlySequence<byte> mechanism, bool hasData, ReadOnlySequence<byte> data)
    {
        Mechanism = mechanism;
        HasData = hasData;
        Data = data;
    }

    public ReadOnlySequence<byte> Mechanism { get; }

    public bool HasData { get; }

    public ReadOnlySequence<byte> Data { get; }

    public static SaslInitialResponse Read(in PostgresFrame frame)
    {
        MessageGuard.ExpectCode(frame, (byte)FrontendMessageCode.PasswordMessage, "SASLInitialResponse");
        var reader = new PayloadReader(frame.Payload, "SASLInitialResponse");
        ReadOnlySequence<byte> mechanism = reader.ReadCString();
        ReadOnlySequence<byte> data = reader.ReadLengthPrefixed(out bool isNull);
        reader.ExpectEnd();
        return new SaslInitialResponse(mechanism, !isNull, data);
    }

    public static void Write(IBufferWriter<byte> writer, ReadOnlySpan<byte> mechanism, ReadOnlySpan<byte> data, bool hasData = true)
    {
        // body = mechanism\0 + length (4) + data
        int body = WireWriter.CStringLength(mechanism) + 4 + (hasData ? data.Length : 0);
        var w = WireWriter.Begin(writer, (byte)FrontendMessageCode.PasswordMessage, body, out int total);
        w.WriteCString(mechanism);
        w.WriteLengthPrefixed(data, !hasData);
        MessageGuard.Finish(writer, w, total);
    }
}
