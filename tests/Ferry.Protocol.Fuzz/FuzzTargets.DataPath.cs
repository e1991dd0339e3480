using System.Buffers;
using Ferry.Contracts;
using Ferry.Protocol.MySql;
using Ferry.Protocol.MySql.Handshake;
using Ferry.Protocol.MySql.Packets;
using Ferry.Protocol.Postgres;
using Ferry.Protocol.Postgres.Backend;
using Ferry.Protocol.Postgres.Startup;
using Ferry.Proxy;

namespace Ferry.Protocol.Fuzz;

/// <summary>
/// Targets for what the proxy, agent and client read before or beside the typed decoders: port 3080's
/// sniffing (TLS ClientHello, startup header), the relays' header scans, the stream readers and the
/// tunnel stream header.
/// </summary>
internal static partial class FuzzTargets
{
    /// <summary>Port 3080's first bytes: a ClientHello is parsed for ALPN/SNI; it must never throw.</summary>
    private static void TlsHello(ReadOnlySequence<byte> input)
    {
        byte[] bytes = input.ToArray();
        for (int length = 0; length <= bytes.Length; length += Math.Max(1, bytes.Length / 16))
        {
            TlsClientHello.TryParse(bytes.AsSpan(0, length), out string[] alpn, out string? serverName);
            _ = alpn.Length + (serverName?.Length ?? 0);
        }

        TlsClientHello.TryParse(bytes, out _, out _);
    }

    /// <summary>
    /// The proxy's and the local proxy's listener: classify by the startup header, answer SSL/GSS requests
    /// and carry on, read a cancel whole, parse a StartupMessage.
    /// </summary>
    private static void PgSniff(ReadOnlySequence<byte> input)
    {
        if (input.Length >= StartupPacketHeader.Size)
        {
            _ = StartupPacketHeader.Parse(input.Slice(0, StartupPacketHeader.Size).ToArray(), PostgresLimits.MaxStartupPacketLength);
        }

        var reader = new SequenceReader<byte>(input);
        while (StartupPacketReader.TryPeekHeader(ref reader, out StartupPacketHeader header) == OperationStatus.Done)
        {
            if (StartupPacketReader.TryRead(ref reader, out StartupPacket packet) != OperationStatus.Done)
            {
                return;
            }

            if (packet.Kind != header.Kind || packet.Raw.Length != header.Length)
            {
                throw new InvalidOperationException("peeked header and read packet disagree");
            }

            switch (header.Kind)
            {
                case StartupPacketKind.CancelRequest:
                    _ = CancelRequest.Read(packet).SecretKey.ToArray();
                    break;
                case StartupPacketKind.StartupMessage:
                    foreach (StartupParameter p in StartupMessage.Read(packet).Parameters)
                    {
                        _ = p.Value.Length;
                    }

                    break;
                default:
                    break;
            }
        }
    }

    /// <summary>
    /// The agent's relay scan: headers peeked, inspected messages (odd type bytes here) read whole under a
    /// small limit, the rest skipped; the proxy's start-up answers read with BackendKeyData parsed.
    /// </summary>
    private static void PgRelayScan(ReadOnlySequence<byte> input)
    {
        var reader = new SequenceReader<byte>(input);
        while (PostgresFrameReader.TryPeekHeader(ref reader, PostgresLimits.DefaultMaxMessageLength, out PostgresFrameHeader header) == OperationStatus.Done)
        {
            if ((header.Code & 1) == 1 && header.Length <= 4096)
            {
                if (PostgresFrameReader.TryRead(ref reader, 4096, out PostgresFrame frame) != OperationStatus.Done)
                {
                    return;
                }

                if (frame.Code == (byte)BackendMessageCode.BackendKeyData)
                {
                    BackendKeyData.Read(frame);
                }
            }
            else if (PostgresFrameReader.TrySkip(ref reader, PostgresLimits.DefaultMaxMessageLength, out _, out _) != OperationStatus.Done)
            {
                return;
            }
        }
    }

    /// <summary>The stream readers the proxy uses on TLS connections (startup packet, start-up answers).</summary>
    private static void PgStreams(ReadOnlySequence<byte> input)
    {
        byte[] bytes = input.ToArray();
        try
        {
            using var startup = new MemoryStream(bytes);
            (StartupPacketHeader header, byte[] packet) = StartupPacketStream.ReadAsync(startup, PostgresLimits.MaxStartupPacketLength, CancellationToken.None).GetAwaiter().GetResult();
            if (packet.Length != header.Length)
            {
                throw new InvalidOperationException("startup packet length mismatch");
            }
        }
        catch (EndOfStreamException)
        {
        }

        using var answers = new MemoryStream(bytes);
        try
        {
            while (true)
            {
                (PostgresFrame frame, byte[] raw) = PostgresFrameStream.ReadAsync(answers, PostgresLimits.MaxStartupResponseLength, CancellationToken.None).GetAwaiter().GetResult();
                if (raw.Length != frame.Raw.Length)
                {
                    throw new InvalidOperationException("frame length mismatch");
                }

                if (frame.Code == (byte)BackendMessageCode.BackendKeyData)
                {
                    BackendKeyData.Read(frame);
                }
            }
        }
        catch (EndOfStreamException)
        {
        }
    }

    /// <summary>The agent's MySQL relays: packet headers peeked at every boundary; the proxy's capability peek.</summary>
    private static void MySqlRelayScan(ReadOnlySequence<byte> input)
    {
        _ = HandshakeResponse41.PeekCapabilities(input);
        long pos = 0;
        while (MySqlPacketReader.TryPeekHeader(input, pos, out MySqlPacketHeader header))
        {
            if (header.PayloadLength > MySqlLimits.MaxPacketPayload)
            {
                throw new InvalidOperationException("a 3-byte length above 0xFFFFFF");
            }

            pos += header.PacketLength;
            if (pos > input.Length)
            {
                return;
            }

            _ = HandshakeResponse41.PeekCapabilities(input.Slice(pos - header.PayloadLength, header.PayloadLength));
        }
    }

    /// <summary>The tunnel stream header an agent reads first on every stream, and its MySQL half.</summary>
    private static void TunnelHeader(ReadOnlySequence<byte> input)
    {
        byte[] bytes = input.ToArray();
        try
        {
            using var stream = new MemoryStream(bytes);
            StreamHeader header = StreamHeader.ReadAsync(stream, CancellationToken.None).GetAwaiter().GetResult();
            if (header.Kind == StreamKind.MySql)
            {
                _ = ProxyHandshakePrelude.Decode(header.Extra).HandshakeResponse.Length;
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
        }

        try
        {
            _ = ProxyHandshakePrelude.Decode(bytes);
        }
        catch (InvalidDataException)
        {
        }
    }
}
