using System.Buffers;
using System.IO.Pipelines;
using Ferry.Tunnel;
using Ferry.Tunnel.Frames;

namespace Ferry.Tunnel.Tests;

/// <summary>A hand-driven yamux peer: writes literal frames and reads what the session under test sends.</summary>
internal sealed class RawPeer : IAsyncDisposable
{
    private readonly IDuplexPipe _transport;

    private RawPeer(IDuplexPipe transport, MuxSession session)
    {
        _transport = transport;
        Session = session;
    }

    public MuxSession Session { get; }

    /// <summary>Answer the session's pings automatically while reading frames.</summary>
    public bool AnswerPings { get; set; } = true;

    public static RawPeer ForServer(MuxOptions? options = null)
    {
        (IDuplexPipe raw, IDuplexPipe sessionEnd) = MuxPair.CreateTransport();
        return new RawPeer(raw, MuxSession.Server(sessionEnd, options));
    }

    public static RawPeer ForClient(MuxOptions? options = null)
    {
        (IDuplexPipe raw, IDuplexPipe sessionEnd) = MuxPair.CreateTransport();
        return new RawPeer(raw, MuxSession.Client(sessionEnd, options));
    }

    public async Task SendRawAsync(byte[] bytes)
    {
        await _transport.Output.WriteAsync(bytes);
    }

    public async Task SendAsync(FrameHeader header, byte[]? payload = null)
    {
        byte[] bytes = new byte[FrameHeader.Size + (payload?.Length ?? 0)];
        header.WriteTo(bytes);
        payload?.CopyTo(bytes, FrameHeader.Size);
        await SendRawAsync(bytes);
    }

    /// <summary>Reads the next frame other than pings (answered when <see cref="AnswerPings"/>), with its payload.</summary>
    public async Task<(FrameHeader Header, byte[] Payload)> ReadFrameAsync(CancellationToken cancellationToken, bool skipPings = true)
    {
        while (true)
        {
            (FrameHeader header, byte[] payload) = await ReadAnyFrameAsync(cancellationToken);
            if (header.Type == FrameType.Ping && (header.Flags & FrameFlags.Syn) != 0)
            {
                if (AnswerPings)
                {
                    await SendAsync(FrameHeader.PingResponse(header.Length));
                }

                if (skipPings)
                {
                    continue;
                }
            }

            return (header, payload);
        }
    }

    private async Task<(FrameHeader, byte[])> ReadAnyFrameAsync(CancellationToken cancellationToken)
    {
        PipeReader input = _transport.Input;
        while (true)
        {
            ReadResult result = await input.ReadAsync(cancellationToken);
            ReadOnlySequence<byte> buffer = result.Buffer;
            var reader = new SequenceReader<byte>(buffer);
            if (FrameHeader.TryRead(ref reader, out FrameHeader header) == OperationStatus.Done)
            {
                long payloadLength = header.Type == FrameType.Data ? header.Length : 0;
                if (reader.Remaining >= payloadLength)
                {
                    byte[] payload = buffer.Slice(FrameHeader.Size, payloadLength).ToArray();
                    input.AdvanceTo(buffer.GetPosition(FrameHeader.Size + payloadLength));
                    return (header, payload);
                }
            }

            if (result.IsCompleted)
            {
                throw new EndOfStreamException("the session closed the transport");
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Session.DisposeAsync();
        await _transport.Output.CompleteAsync();
        await _transport.Input.CompleteAsync();
    }
}
