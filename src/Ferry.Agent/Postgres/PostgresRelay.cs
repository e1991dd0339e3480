using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Ferry.Audit;
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
/// streams is refused: none of it is forwarded; <see cref="OnRefused"/> either names a substitute message
/// to forward in its place (and the relay carries on after the refused message's last byte) or ends the relay
/// with <see cref="RelayEnd.ProtocolError"/>. An inspected message <see cref="Replace"/> answers for is
/// forwarded as that answer instead. Everything else read is forwarded unchanged and in order.
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

    /// <summary>
    /// Called with the code and body length of a message refused for its size: a non-null answer resynchronises
    /// (its substitute is forwarded in place of the message, whose bytes are dropped); null ends the relay.
    /// </summary>
    public Func<byte, int, PostgresRefusal?>? OnRefused { get; init; }

    /// <summary>Called for each inspected message held whole: non-null bytes are forwarded instead of it (and <see cref="OnMessage"/> is not called).</summary>
    public Func<PostgresFrame, byte[]?>? Replace { get; init; }

    private byte[]? _insert;          // to forward next, in place of the message being dropped
    private long _drop;               // bytes of a refused or replaced message still to drop
    private IStreamedMessage? _dropped;
    private bool _again;              // the scan stopped at a refused message's start: scan again from there

    /// <summary>
    /// Called with the code and frame length (header included) of every message that is not inspected, as its header
    /// is seen and before any of it is forwarded: true drops the whole message (none of it is forwarded). Called once
    /// per message, on the relay's task, without allocating: the result counters run here.
    /// </summary>
    public Func<byte, int, bool>? OnPassing { get; init; }

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
        catch (AuditSpoolUnavailableException e)
        {
            // Nothing of the pass whose events could not be written was forwarded: the session ends with this error.
            Error = $"statement refused, not run: {e.Message}";
            return RelayEnd.ProtocolError;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(long, RelayEnd?)> ForwardAsync(ReadOnlySequence<byte> buffer)
    {
        long consumed = 0;
        while (true)
        {
            if (_drop > 0)
            {
                var skip = Math.Min(_drop, buffer.Length - consumed);
                if (_dropped is not null)
                {
                    foreach (var segment in buffer.Slice(consumed, skip))
                    {
                        _dropped.Append(segment.Span);
                    }
                }
                _drop -= skip;
                consumed += skip;
                if (_drop > 0)
                {
                    return (consumed, null);
                }
                var done = _dropped;
                _dropped = null;
                done?.Complete();
            }
            var rest = buffer.Slice(consumed);
            // The events the scan emits are in the audit spool file before any byte it lets through is forwarded:
            // one write for all of them, on this thread (a kill -9 after forwarding cannot lose them).
            long forward;
            AuditPass.Begin();
            try
            {
                forward = Scan(rest);
            }
            finally
            {
                AuditPass.End();
            }
            if (forward > 0)
            {
                if (!await RelayIo.TryWriteAsync(destination, rest.Slice(0, forward)))
                {
                    return (consumed + forward, RelayEnd.DestinationClosed);
                }
                Bytes += forward;
                consumed += forward;
            }
            if (_stopped)
            {
                return (consumed, RelayEnd.Stopped);
            }
            if (_again)
            {
                _again = false;
                continue;
            }
            if (_insert is not { } insert)
            {
                return (consumed, null);
            }
            // A refused or replaced message starts here: its stand-in goes out, then its bytes are dropped (_drop > 0).
            _insert = null;
            if (!await RelayIo.TryWriteAsync(destination, new ReadOnlySequence<byte>(insert)))
            {
                return (consumed, RelayEnd.DestinationClosed);
            }
            Bytes += insert.Length;
        }
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
                if (reader.Consumed > 0)
                {
                    _again = true; // forward what precedes it first; the next scan starts at the refused message
                    break;
                }
                if (OnRefused?.Invoke(header.Code, header.Length - 4) is not { } refusal)
                {
                    throw new PostgresProtocolException($"a {(char)header.Code} message of {header.Length - 4} bytes is larger than this agent inspects for its audit event ({maxInspectedLength} bytes, proxy.max_message_bytes): it was refused, not run");
                }
                _insert = refusal.Substitute;
                _dropped = refusal.Dropped;
                _drop = header.FrameLength;
                if (_dropped is not null)
                {
                    _dropped = new BodyOnly(_dropped);
                }
                break;
            }
            else if (Inspect(header.Code))
            {
                var start = reader.Consumed;
                if (PostgresFrameReader.TryRead(ref reader, maxInspectedLength, out var frame) != OperationStatus.Done)
                {
                    break;
                }
                if (Replace?.Invoke(frame) is { } replacement)
                {
                    _insert = replacement;
                    _drop = frame.Raw.Length;
                    return start;
                }
                OnMessage?.Invoke(frame);
            }
            else if (OnPassing?.Invoke(header.Code, header.Length + 1) == true)
            {
                // Dropped: what precedes it is forwarded first, then its bytes are skipped (_drop), then the scan goes on.
                _drop = header.FrameLength;
                _again = true;
                break;
            }
            else
            {
                _remaining = header.FrameLength;
            }
        }
        return reader.Consumed;
    }

    /// <summary>Hands a dropped message's body, not its 5-byte header, to the observer.</summary>
    private sealed class BodyOnly(IStreamedMessage inner) : IStreamedMessage
    {
        private int _header = PostgresFrameHeader.Size;

        public void Append(ReadOnlySpan<byte> bytes)
        {
            var skip = Math.Min(_header, bytes.Length);
            _header -= skip;
            if (skip < bytes.Length)
            {
                inner.Append(bytes[skip..]);
            }
        }

        public void Complete() => inner.Complete();
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
