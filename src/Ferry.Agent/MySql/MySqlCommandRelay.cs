using System.Buffers;
using System.IO.Pipelines;
using Ferry.Agent.Postgres;
using Ferry.Protocol.MySql;
using Ferry.Protocol.MySql.Packets;

namespace Ferry.Agent.MySql;

/// <summary>
/// Client → server direction of a MySQL session. Every command packet up to the inspection limit is held
/// whole and handed to <see cref="OnCommand"/>, which may forward, replace or refuse it, or close the
/// session when it is malformed. Larger commands (and 16 MiB continuation chains) stream through an
/// <see cref="IStreamedMessage"/> from <see cref="OnLargeCommand"/>: it sees every payload byte of every
/// packet of the command (headers left out) as it passes, and completes before the command's last bytes
/// are forwarded, so memory stays what the pipe holds whatever the command's size. Bytes between decisions
/// are forwarded in one write per read.
/// </summary>
internal sealed class MySqlCommandRelay(PipeReader source, Stream destination, int maxInspectedLength)
{
    private MySqlPacketCursor _cursor;
    private bool _inChain;
    private IStreamedMessage? _streamed;
    private int _headerLeft; // header bytes of the streamed packet not yet passed (they are not payload)
    private bool _holdPending; // a command that must be answered before the next one is forwarded has passed
    private byte[]? _after;    // what goes to the server right after the held streamed command (before the wait)

    /// <summary>Called with one whole command packet (header included).</summary>
    public required Func<ReadOnlySequence<byte>, CommandVerdict> OnCommand { get; init; }

    /// <summary>
    /// Called at the header of a command too large to hold, with its command byte and its first packet's payload length:
    /// either a stream that sees the command's payload as it passes (the payloads of all its packets, concatenated) and
    /// completes at its end, or a refusal that closes the session.
    /// </summary>
    public required Func<byte, long, LargeCommandStart> OnLargeCommand { get; init; }

    /// <summary>
    /// Awaited after a command whose verdict says <see cref="CommandVerdict.Hold"/> (or a streamed command marked
    /// <see cref="IHeldCommand"/>) has been forwarded, before anything after it is: true once the server's answer
    /// has been checked and the session goes on, false when the session is ending (nothing more is forwarded).
    /// </summary>
    public Func<ValueTask<bool>> WaitAnswered { get; init; } = static () => ValueTask.FromResult(true);

    /// <summary>Writes an answer to the client (refusals, malformed-packet errors).</summary>
    public required Func<byte[], ValueTask> ReplyToClient { get; init; }

    public long Bytes { get; private set; }

    public string? Error { get; private set; }

    public Task<RelayEnd> RunAsync(CancellationToken ct) => RelayIo.RunAsync(source, RelayAsync, ct);

    /// <summary>Decides about each whole command in <paramref name="buffer"/> and forwards the rest in one write.</summary>
    private async ValueTask<(long, RelayEnd?)> RelayAsync(ReadOnlySequence<byte> buffer)
    {
        long pos = 0, pending = 0;
        var length = buffer.Length;
        RelayEnd? end = null;
        while (end is null)
        {
            if (_streamed is not null && !_cursor.AtBoundary)
            {
                Feed(buffer, pos, length);
            }
            var more = _cursor.TryNext(buffer, ref pos, out var payloadLength, out var sequenceId);
            if (_holdPending && _cursor.AtBoundary && !_inChain)
            {
                // The held command has passed whole: send it, and wait for its answer before looking further.
                _holdPending = false;
                if (!await ForwardAsync(buffer.Slice(pending, pos - pending)))
                {
                    end = RelayEnd.DestinationClosed;
                    break;
                }
                pending = pos;
                if (_after is { } after)
                {
                    _after = null;
                    if (!await ForwardAsync(new ReadOnlySequence<byte>(after)))
                    {
                        end = RelayEnd.DestinationClosed;
                        break;
                    }
                }
                if (!await WaitAnswered())
                {
                    end = RelayEnd.Terminated;
                    break;
                }
            }
            if (!more)
            {
                break;
            }
            if (_inChain)
            {
                // A continuation packet of a large command: stream it.
                _inChain = payloadLength == MySqlLimits.MaxPacketPayload;
                _headerLeft = MySqlPacketReader.HeaderLength;
                _cursor.Pass(MySqlPacketReader.HeaderLength + payloadLength);
                continue;
            }
            if (payloadLength == MySqlLimits.MaxPacketPayload || payloadLength > maxInspectedLength)
            {
                if (length - pos < MySqlPacketReader.HeaderLength + 1)
                {
                    break; // the command byte decides whether it may stream
                }
                var start = OnLargeCommand(buffer.Slice(pos + MySqlPacketReader.HeaderLength, 1).FirstSpan[0], payloadLength);
                if (start.Refusal is { } refusal)
                {
                    if (!await ForwardAsync(buffer.Slice(pending, pos - pending)))
                    {
                        end = RelayEnd.DestinationClosed;
                        break;
                    }
                    pending = pos;
                    Error = refusal.Error;
                    await ReplyToClient(refusal.Packet!);
                    end = RelayEnd.ProtocolError;
                    break;
                }
                _streamed = start.Stream;
                if (start.Stream is IHeldCommand { Hold: true } held)
                {
                    _holdPending = true;
                    _after = held.After;
                    if (held.Before is { } before)
                    {
                        if (!await ForwardAsync(buffer.Slice(pending, pos - pending)) || !await ForwardAsync(new ReadOnlySequence<byte>(before)))
                        {
                            end = RelayEnd.DestinationClosed;
                            break;
                        }
                        pending = pos;
                    }
                }
                _inChain = payloadLength == MySqlLimits.MaxPacketPayload;
                _headerLeft = MySqlPacketReader.HeaderLength;
                _cursor.Pass(MySqlPacketReader.HeaderLength + payloadLength);
                continue;
            }
            var packetLength = MySqlPacketReader.HeaderLength + payloadLength;
            if (length - pos < packetLength)
            {
                break;
            }
            var packet = buffer.Slice(pos, packetLength);
            var verdict = payloadLength == 0 || sequenceId != 0
                ? CommandVerdict.Close(MySqlSessionErrors.Malformed(payloadLength == 0 ? "empty command packet" : $"command packet with sequence id {sequenceId} (expected 0)"),
                    payloadLength == 0 ? "empty command packet" : $"command packet with sequence id {sequenceId}")
                : OnCommand(packet);
            _holdPending |= verdict.Hold && verdict.Action is CommandAction.Forward or CommandAction.Replace;
            if (verdict.Action == CommandAction.Forward)
            {
                pos += packetLength;
                continue;
            }
            if (!await ForwardAsync(buffer.Slice(pending, pos - pending)))
            {
                end = RelayEnd.DestinationClosed;
                break;
            }
            pos += packetLength;
            pending = pos;
            switch (verdict.Action)
            {
                case CommandAction.Replace:
                    if (!await ForwardAsync(new ReadOnlySequence<byte>(verdict.Packet!)))
                    {
                        end = RelayEnd.DestinationClosed;
                    }
                    break;
                case CommandAction.Refuse:
                    await ReplyToClient(verdict.Packet!);
                    break;
                case CommandAction.Close:
                    Error = verdict.Error;
                    await ReplyToClient(verdict.Packet!);
                    end = RelayEnd.ProtocolError;
                    break;
            }
        }
        if (end is null && !await ForwardAsync(buffer.Slice(pending, pos - pending)))
        {
            end = RelayEnd.DestinationClosed;
        }
        return (pos, end);
    }

    /// <summary>Shows the streamed command the bytes of its current packet in this read; completes it after its last packet.</summary>
    private void Feed(in ReadOnlySequence<byte> buffer, long pos, long length)
    {
        var take = Math.Min(_cursor.Remaining, length - pos);
        var bytes = buffer.Slice(pos, take);
        if (_headerLeft > 0)
        {
            var skip = (int)Math.Min(_headerLeft, take);
            _headerLeft -= skip;
            bytes = bytes.Slice(skip);
        }
        foreach (var segment in bytes)
        {
            _streamed!.Append(segment.Span);
        }
        if (take == _cursor.Remaining && !_inChain)
        {
            var done = _streamed!;
            _streamed = null;
            done.Complete();
        }
    }

    private async ValueTask<bool> ForwardAsync(ReadOnlySequence<byte> chunk)
    {
        if (chunk.IsEmpty)
        {
            return true;
        }
        if (!await RelayIo.TryWriteAsync(destination, chunk))
        {
            return false;
        }
        Bytes += chunk.Length;
        return true;
    }
}

/// <summary>A streamed command that, like a verdict with <see cref="CommandVerdict.Hold"/>, must be answered before the next command is forwarded.</summary>
internal interface IHeldCommand
{
    bool Hold { get; }

    /// <summary>A whole command the agent sends to the server just before this one (its answer is the agent's).</summary>
    byte[]? Before { get; }

    /// <summary>A whole command the agent sends to the server just after this one, before waiting for the answers.</summary>
    byte[]? After { get; }
}

/// <summary>How a command too large to hold begins: streamed and audited as it passes, or refused.</summary>
internal readonly record struct LargeCommandStart(IStreamedMessage? Stream, CommandVerdict? Refusal);
