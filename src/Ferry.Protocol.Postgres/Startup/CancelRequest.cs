using System.Buffers;

namespace Ferry.Protocol.Postgres.Startup;

/// <summary>
/// CancelRequest, sent on a fresh connection.
/// <code>
///  +-------------+---------------+-----------------+--------------------------------+
///  | len (int32) | 80877102      | process id      | secret key (4 bytes in 3.0,    |
///  |             | (1234.5678)   | (int32)         |  4..256 bytes in 3.2)          |
///  +-------------+---------------+-----------------+--------------------------------+
/// </code>
/// </summary>
public readonly struct CancelRequest
{
    public const int MinKeyLength = 4;
    public const int MaxKeyLength = 256;

    public CancelRequest(int processId, ReadOnlySequence<byte> secretKey)
    {
        ProcessId = processId;
        SecretKey = secretKey;
    }

    public int ProcessId { get; }

    /// <summary>The secret key bytes (compare in constant time against the key handed out).</summary>
    public ReadOnlySequence<byte> SecretKey { get; }

    public static CancelRequest Read(in StartupPacket packet)
    {
        if (packet.Kind != StartupPacketKind.CancelRequest)
        {
            throw new ArgumentException("not a CancelRequest", nameof(packet));
        }

        var reader = new PayloadReader(packet.Payload, "CancelRequest");
        int pid = reader.ReadInt32();
        ReadOnlySequence<byte> key = reader.ReadRest();
        return new CancelRequest(pid, key);
    }

    public static void Write(IBufferWriter<byte> writer, int processId, ReadOnlySpan<byte> secretKey)
    {
        if (secretKey.Length is < MinKeyLength or > MaxKeyLength)
        {
            throw new ArgumentOutOfRangeException(nameof(secretKey), "a cancel key is 4 to 256 bytes");
        }

        // total = length (4) + code (4) + process id (4) + key
        int total = 4 + 4 + 4 + secretKey.Length;
        var w = new WireWriter(writer.GetSpan(total));
        w.WriteInt32(total);
        w.WriteInt32(StartupCodes.CancelRequest);
        w.WriteInt32(processId);
        w.WriteBytes(secretKey);
        w.AssertFilled(total);
        writer.Advance(total);
    }
}
