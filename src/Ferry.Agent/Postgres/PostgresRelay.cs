using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Ferry.Protocol.Postgres;

namespace Ferry.Agent.Postgres;

/// <summary>Why one direction of a relay stopped.</summary>
public enum RelayEnd
{
    SourceClosed,
    DestinationClosed,
    Terminated,
    ProtocolError,

    /// <summary>The next message is of the <see cref="PostgresRelay.StopBefore"/> type; it was not forwarded.</summary>
    Stopped,
}

/// <summary>
/// Copies PostgreSQL messages from a source to a destination while tracking message boundaries.
/// Messages whose type <see cref="Inspect"/> selects are held whole (up to a limit) and handed to
/// <see cref="OnMessage"/> before being forwarded; all other bytes stream through without being
/// buffered, so a 100 MB DataRow or CopyData costs no more memory than the pipe's segments.
/// An inspected message longer than <see cref="StreamAbove"/> can instead be streamed through an
/// <see cref="IStreamedMessage"/> (<see cref="OnLargeMessage"/>), which sees its body as it passes and
/// completes before the last byte is forwarded. One longer than the inspection limit that nobody
/// streams is refused: it is not forwarded, and the relay ends with <see cref="RelayEnd.ProtocolError"/>.
/// Everything read is forwarded unchanged and in order, in one write per read.
/// </summary>
internal sealed class PostgresRelay(PipeReader source, Stream destination, int maxInspectedLength)
{
    private long _remaining;
    private IStreamedMessage? _streamed;
    private int _streamedHeader; // header bytes of the streamed message not yet passed (they are not body)

    public Func<byte, bool> Inspect { get; init; } = static _ => false;

    public Action<PostgresFrame>? OnMessage { get; init; }

    /// <summary>Inspected messages whose length field exceeds this (or the inspection limit) are offered to <see cref="OnLargeMessage"/> first.</summary>
    public int StreamAbove { get; init; } = int.MaxValue;

    /// <summary>
    /// Called with the code and body length of an inspected message longer than <see cref="StreamAbove"/>: a
    /// non-null answer streams the message through it; null holds it whole when it is within the inspection
    /// limit, and otherwise refuses it (<see cref="OnRefused"/> is told first).
    /// </summary>
    public Func<byte, int, IStreamedMessage?>? OnLargeMessage { get; init; }

    /// <summary>Called with the code and body length of a message refused for its size, before the relay ends.</summary>
    public Action<byte, int>? OnRefused { get; init; }

    /// <summary>A message type the relay does not forward: it stops at that message's start instead.</summary>
    public byte? StopBefore { get; init; }

    private bool _stopped;

    public long Bytes { get; private set; }

    /// <summary>True when the bytes forwarded so far end exactly at a message boundary.</summary>
    public bool AtBoundary => _remaining == 0;

    public string? Error { get; private set; }

    public async Task<RelayEnd> RunAsync(CancellationToken ct)
    {
        try
        {
            return await RelayIo.RunAsync(source, ForwardAsync, ct);
        }
        catch (PostgresProtocolException e)
        {
            Error = e.Message;
            return RelayEnd.ProtocolError;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(long, RelayEnd?)> ForwardAsync(ReadOnlySequence<byte> buffer)
    {
        var forward = Scan(buffer);
        if (forward > 0)
        {
            if (!await RelayIo.TryWriteAsync(destination, buffer.Slice(0, forward)))
            {
                return (forward, RelayEnd.DestinationClosed);
            }
            Bytes += forward;
        }
        return (forward, _stopped ? RelayEnd.Stopped : null);
    }

    /// <summary>Returns how many bytes from the start of <paramref name="buffer"/> can be forwarded now.</summary>
    private long Scan(in ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        while (!reader.End)
        {
            if (_remaining > 0)
            {
                var take = Math.Min(_remaining, reader.Remaining);
                if (_streamed is not null)
                {
                    Feed(reader.UnreadSequence.Slice(0, take));
                }
                _remaining -= take;
                reader.Advance(take);
                if (_remaining == 0 && _streamed is not null)
                {
                    // Before the last bytes are written: the event exists before the server has the whole message.
                    var done = _streamed;
                    _streamed = null;
                    done.Complete();
                }
                continue;
            }
            if (PostgresFrameReader.TryPeekHeader(ref reader, PostgresLimits.DefaultMaxMessageLength, out var header) != OperationStatus.Done)
            {
                break;
            }
            if (header.Code == StopBefore)
            {
                _stopped = true;
                break;
            }
            if (Inspect(header.Code) && header.Length > Math.Min(StreamAbove, maxInspectedLength) && OnLargeMessage?.Invoke(header.Code, header.Length - 4) is { } streamed)
            {
                _streamed = streamed;
                _streamedHeader = PostgresFrameHeader.Size;
                _remaining = header.FrameLength;
            }
            else if (Inspect(header.Code) && header.Length > maxInspectedLength)
            {
                OnRefused?.Invoke(header.Code, header.Length - 4);
                throw new PostgresProtocolException($"a {(char)header.Code} message of {header.Length - 4} bytes is larger than this agent inspects for its audit event ({maxInspectedLength} bytes, proxy.max_message_bytes): it was refused, not run");
            }
            else if (Inspect(header.Code))
            {
                if (PostgresFrameReader.TryRead(ref reader, maxInspectedLength, out var frame) != OperationStatus.Done)
                {
                    break;
                }
                OnMessage?.Invoke(frame);
            }
            else
            {
                _remaining = header.FrameLength;
            }
        }
        return reader.Consumed;
    }

    private void Feed(ReadOnlySequence<byte> bytes)
    {
        if (_streamedHeader > 0)
        {
            var skip = (int)Math.Min(_streamedHeader, bytes.Length);
            _streamedHeader -= skip;
            bytes = bytes.Slice(skip);
        }
        foreach (var segment in bytes)
        {
            _streamed!.Append(segment.Span);
        }
    }
}
