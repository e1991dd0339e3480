using System.Buffers;
using System.IO.Pipelines;
using Ferry.Agent.Postgres;
using Ferry.Protocol.MySql;
using Ferry.Protocol.MySql.Packets;
using Ferry.Protocol.MySql.Responses;

namespace Ferry.Agent.MySql;

/// <summary>What the session does with one server packet.</summary>
internal readonly record struct ResponseAction(ResponseActionKind Kind, byte[]? Packet = null, string? Error = null)
{
    public static ResponseAction Forward => default;

    /// <summary>Send <paramref name="packet"/> (framed) to the client instead; an empty array drops the packet.</summary>
    public static ResponseAction Replace(byte[] packet) => new(ResponseActionKind.Replace, packet);

    /// <summary>Send <paramref name="errPacket"/> (framed) to the client instead, then end the session with <paramref name="error"/>.</summary>
    public static ResponseAction Close(byte[] errPacket, string error) => new(ResponseActionKind.Close, errPacket, error);
}

internal enum ResponseActionKind
{
    Forward,
    Replace,
    Close,
}

/// <summary>
/// Server → client direction of a MySQL session: follows the responses with a <see cref="ResponseTracker"/>
/// (commands announce theirs as they are sent) and shows <see cref="OnPacket"/> every packet the tracker
/// classifies as more than data — OK and ERR packets whole, so that the session can read session state
/// changes, strip what the client did not ask for, or end the session. Everything else is forwarded
/// unchanged, one write per read between decisions. Holds no buffer while idle.
/// </summary>
internal sealed class MySqlResponseRelay(PipeReader source, Func<ReadOnlySequence<byte>, ValueTask<bool>> writeToClient, ResponseTracker tracker)
{
    private MySqlPacketCursor _cursor;

    /// <summary>Called with each step that is not plain data, and the packet (header included; whole when the tracker read it whole).</summary>
    public Func<ResponseStep, ReadOnlySequence<byte>, ResponseAction> OnPacket { get; init; } = static (_, _) => ResponseAction.Forward;

    /// <summary>
    /// Called with each data packet that is not shown to <see cref="OnPacket"/> (rows, column definitions…), its length
    /// (header included) and sequence id, before it is forwarded: true drops it. No allocation: this runs once per row.
    /// </summary>
    public Func<ResponseStep, int, byte, bool>? OnData { get; init; }

    /// <summary>
    /// Asked before a packet up to <see cref="MaxHeldToDrop"/> bytes is stepped when only part of it has arrived: true
    /// waits for the whole packet (the session may drop the next one, which it can only do whole).
    /// </summary>
    public Func<bool>? MayDropNext { get; init; }

    /// <summary>Longest packet held whole so that it can be dropped; a longer one passes (a result limit may let one more through).</summary>
    public const int MaxHeldToDrop = 1024 * 1024;

    /// <summary>Called after each packet that ends a response (unless the session is being closed on it).</summary>
    public Action? OnResponseEnded { get; init; }

    public long Bytes { get; private set; }

    /// <summary>Why the session was ended from this direction, if it was.</summary>
    public string? Error { get; private set; }

    /// <summary>True when the bytes forwarded so far end exactly at a packet boundary.</summary>
    public bool AtBoundary => _cursor.AtBoundary;

    public Task<RelayEnd> RunAsync(CancellationToken ct) => RelayIo.RunAsync(source, ForwardAsync, ct);

    private async ValueTask<(long, RelayEnd?)> ForwardAsync(ReadOnlySequence<byte> buffer)
    {
        long pos = 0, pending = 0;
        var length = buffer.Length;
        while (_cursor.TryNext(buffer, ref pos, out var payloadLength, out var sequenceId))
        {
            var packetLength = MySqlPacketReader.HeaderLength + payloadLength;
            if (payloadLength > 0 && length - pos < MySqlPacketReader.HeaderLength + 1)
            {
                break;
            }
            var first = payloadLength > 0 ? buffer.Slice(pos + MySqlPacketReader.HeaderLength, 1).FirstSpan[0] : (byte)0;
            var whole = tracker.NeedsWhole(payloadLength, first);
            if ((whole || (packetLength <= MaxHeldToDrop && MayDropNext?.Invoke() == true)) && length - pos < packetLength)
            {
                break;
            }
            var seen = whole ? packetLength : Math.Min(packetLength, length - pos);
            var packet = buffer.Slice(pos, seen);
            ResponseStep step = default;
            ResponseAction action;
            try
            {
                step = tracker.Step(payloadLength, packet.Slice(MySqlPacketReader.HeaderLength));
                // Data is not shown, except a packet ending a response (an EOF answering a command), which is whole.
                if (step.Kind == ResponseStepKind.Data && !(step.EndsResponse && whole))
                {
                    action = OnData?.Invoke(step, packetLength, sequenceId) == true && length - pos >= packetLength
                        ? ResponseAction.Replace([])
                        : ResponseAction.Forward;
                    whole |= action.Kind == ResponseActionKind.Replace;
                }
                else
                {
                    action = OnPacket(step, packet);
                }
            }
            catch (MySqlProtocolException e)
            {
                action = ResponseAction.Close(MySqlSessionErrors.Packet(1, MySqlSessionErrors.Unknown, "08S01", $"the database sent a packet Ferry cannot follow ({e.Message}): closing this connection"),
                    $"malformed response from the database: {e.Message}");
            }
            if (step.EndsResponse && action.Kind != ResponseActionKind.Close)
            {
                OnResponseEnded?.Invoke();
            }
            if (action.Kind == ResponseActionKind.Forward)
            {
                _cursor.Pass(packetLength);
                continue;
            }
            if (!whole && action.Kind == ResponseActionKind.Replace)
            {
                action = ResponseAction.Close(MySqlSessionErrors.Packet(1, MySqlSessionErrors.Unknown, "08S01", "a response Ferry must rewrite was too long: closing this connection"),
                    $"response packet of {payloadLength} bytes could not be rewritten");
            }
            if (!await WriteAsync(buffer.Slice(pending, pos - pending)))
            {
                return (pos, RelayEnd.DestinationClosed);
            }
            if (action.Kind == ResponseActionKind.Close)
            {
                Error = action.Error;
                await WriteAsync(new ReadOnlySequence<byte>(action.Packet!));
                return (pos, RelayEnd.ProtocolError);
            }
            if (!await WriteAsync(new ReadOnlySequence<byte>(action.Packet!)))
            {
                return (pos, RelayEnd.DestinationClosed);
            }
            pos += packetLength;
            pending = pos;
        }
        if (!await WriteAsync(buffer.Slice(pending, pos - pending)))
        {
            return (pos, RelayEnd.DestinationClosed);
        }
        return (pos, null);
    }

    private async ValueTask<bool> WriteAsync(ReadOnlySequence<byte> chunk)
    {
        if (chunk.IsEmpty)
        {
            return true;
        }
        if (!await writeToClient(chunk))
        {
            return false;
        }
        Bytes += chunk.Length;
        return true;
    }
}
