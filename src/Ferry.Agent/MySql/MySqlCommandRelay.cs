using System.Buffers;
using System.IO.Pipelines;
using Ferry.Agent.Postgres;
using Ferry.Protocol.MySql;
using Ferry.Protocol.MySql.Packets;

namespace Ferry.Agent.MySql;

/// <summary>
/// Client → server direction of a MySQL session. Every command packet up to the inspection limit is held
/// whole and handed to <see cref="OnCommand"/>, which may forward, replace or refuse it, or close the
/// session when it is malformed. Larger commands (and 16 MiB continuation chains) stream through after
/// <see cref="OnLargeCommand"/> has seen their first bytes. Bytes between decisions are forwarded in one
/// write per read.
/// </summary>
internal sealed class MySqlCommandRelay(PipeReader source, Stream destination, int maxInspectedLength)
{
    /// <summary>How much of a command too large to hold is shown to <see cref="OnLargeCommand"/>.</summary>
    public const int LargePrefix = 4096;

    private MySqlPacketCursor _cursor;
    private bool _inChain;

    /// <summary>Called with one whole command packet (header included).</summary>
    public required Func<ReadOnlySequence<byte>, CommandVerdict> OnCommand { get; init; }

    /// <summary>Called with the first bytes (header included) of a command too large to hold, and its declared payload length; null streams it, a verdict closes the session.</summary>
    public required Func<ReadOnlySequence<byte>, long, CommandVerdict?> OnLargeCommand { get; init; }

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
        while (end is null && _cursor.TryNext(buffer, ref pos, out var payloadLength, out var sequenceId))
        {
            if (_inChain)
            {
                // A continuation packet of a large command: stream it.
                _inChain = payloadLength == MySqlLimits.MaxPacketPayload;
                _cursor.Pass(MySqlPacketReader.HeaderLength + payloadLength);
                continue;
            }
            if (payloadLength == MySqlLimits.MaxPacketPayload || payloadLength > maxInspectedLength)
            {
                var prefix = MySqlPacketReader.HeaderLength + Math.Min(payloadLength, LargePrefix);
                if (length - pos < prefix)
                {
                    break;
                }
                if (OnLargeCommand(buffer.Slice(pos, prefix), payloadLength) is { } refusal)
                {
                    await ForwardAsync(buffer.Slice(pending, pos - pending));
                    Error = refusal.Error;
                    await ReplyToClient(refusal.Packet!);
                    return (pos, RelayEnd.ProtocolError);
                }
                _inChain = payloadLength == MySqlLimits.MaxPacketPayload;
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
