using System.Buffers;

namespace Ferry.Protocol.Postgres.Backend;

/// <summary>
/// BackendKeyData: the cancel key. The proxy hands out its own, never the database's.
/// <code>
///  +-----+-------------+-----------------+---------------------------------------+
///  | 'K' | len (int32) | process id      | secret key: 4 bytes (3.0),            |
///  |     |             | (int32)         |   4..256 bytes (3.2)                  |
///  +-----+-------------+-----------------+---------------------------------------+
/// </code>
/// </summary>
public readonly struct BackendKeyData
{
    public BackendKeyData(int processId, ReadOnlySequence<byte> secretKey)
    {
        ProcessId = processId;
        SecretKey = secretKey;
    }

    public int ProcessId { get; }

    public ReadOnlySequence<byte> SecretKey { get; }

    public static BackendKeyData Read(in PostgresFrame frame)
    {
        MessageGuard.ExpectCode(frame, (byte)BackendMessageCode.BackendKeyData, "BackendKeyData");
        var reader = new PayloadReader(frame.Payload, "BackendKeyData");
        int pid = reader.ReadInt32();
        ReadOnlySequence<byte> key = reader.ReadRest();
        if (key.Length is < Startup.CancelRequest.MinKeyLength or > Startup.CancelRequest.MaxKeyLength)
        {
            PostgresThrow.Malformed($"cancel key of {key.Length} bytes");
        }

        return new BackendKeyData(pid, key);
    }

    /// <summary>Writes BackendKeyData; a 4-byte key for protocol 3.0 clients, up to 256 bytes for 3.2.</summary>
    public static void Write(IBufferWriter<byte> writer, int processId, ReadOnlySpan<byte> secretKey)
    {
        if (secretKey.Length is < Startup.CancelRequest.MinKeyLength or > Startup.CancelRequest.MaxKeyLength)
        {
            throw new ArgumentOutOfRangeException(nameof(secretKey), "a cancel key is 4 to 256 bytes");
        }

        // body = process id (4) + key
        var w = WireWriter.Begin(writer, (byte)BackendMessageCode.BackendKeyData, 4 + secretKey.Length, out int total);
        w.WriteInt32(processId);
        w.WriteBytes(secretKey);
        MessageGuard.Finish(writer, w, total);
    }
}
