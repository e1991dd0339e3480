using System.Buffers;

namespace Ferry.Protocol.Postgres.Startup;

/// <summary>
/// Frames the untyped startup packet.
/// <code>
///  0                 4                 8
///  +-----------------+-----------------+--------------------------------------+
///  | length (int32)  | code (int32)    | payload (length - 8 bytes)           |
///  +-----------------+-----------------+--------------------------------------+
///  code: 3.x protocol version | 1234.5679 SSL | 1234.5680 GSSENC | 1234.5678 cancel
/// </code>
/// </summary>
public static class StartupPacketReader
{
    public const int HeaderLength = StartupPacketHeader.Size;

    /// <summary>
    /// Reads one startup-family packet, no more than <paramref name="maxLength"/> bytes (PostgreSQL's
    /// limit is 10,000). Incomplete input consumes nothing. Throws <see cref="PostgresProtocolException"/>
    /// for bad lengths, unknown request codes and protocol majors other than 3.
    /// </summary>
    public static OperationStatus TryRead(ref SequenceReader<byte> reader, out StartupPacket packet, int maxLength = PostgresLimits.MaxStartupPacketLength)
    {
        if (TryPeekHeader(ref reader, out StartupPacketHeader header, maxLength) != OperationStatus.Done
            || reader.Remaining < header.Length)
        {
            packet = default;
            return OperationStatus.NeedMoreData;
        }

        packet = new StartupPacket(header.Kind, header.Code, reader.UnreadSequence.Slice(0, header.Length));
        reader.Advance(header.Length);
        return OperationStatus.Done;
    }

    /// <summary>
    /// Classifies the next packet from its 8-byte header without consuming anything, so a listener can
    /// decide (TLS, GSS refusal, cancel, startup) before the body arrives. The length is checked as soon
    /// as its 4 bytes are there. Throws like <see cref="TryRead"/>.
    /// </summary>
    public static OperationStatus TryPeekHeader(ref SequenceReader<byte> reader, out StartupPacketHeader header, int maxLength = PostgresLimits.MaxStartupPacketLength)
    {
        Span<byte> bytes = stackalloc byte[HeaderLength];
        if (!reader.TryCopyTo(bytes.Slice(0, 4)))
        {
            header = default;
            return OperationStatus.NeedMoreData;
        }

        StartupPacketHeader.ParseLength(bytes, maxLength);
        if (!reader.TryCopyTo(bytes))
        {
            header = default;
            return OperationStatus.NeedMoreData;
        }

        header = StartupPacketHeader.Parse(bytes, maxLength);
        return OperationStatus.Done;
    }
}
