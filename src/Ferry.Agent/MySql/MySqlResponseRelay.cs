using System.Buffers;
using System.IO.Pipelines;
using Ferry.Agent.Postgres;
using Ferry.Protocol.MySql.Packets;

namespace Ferry.Agent.MySql;

/// <summary>
/// Server → client direction of a MySQL session: forwards everything unchanged, one write per read,
/// tracking packet boundaries. When <see cref="WantsFirstPacket"/> says the session waits for the start
/// of a response (a COM_STMT_PREPARE's), the first packet with sequence id 1 is shown whole (up to
/// <see cref="FirstPacketLimit"/> bytes; a longer one as its header alone) to <see cref="OnFirstPacket"/>. Holds no buffer while idle.
/// </summary>
internal sealed class MySqlResponseRelay(PipeReader source, Func<ReadOnlySequence<byte>, ValueTask<bool>> writeToClient)
{
    public const int FirstPacketLimit = 64;

    private long _remaining;

    public Func<bool> WantsFirstPacket { get; init; } = static () => false;

    public Action<ReadOnlySequence<byte>>? OnFirstPacket { get; init; }

    public long Bytes { get; private set; }

    /// <summary>True when the bytes forwarded so far end exactly at a packet boundary.</summary>
    public bool AtBoundary => _remaining == 0;

    public async Task<RelayEnd> RunAsync(CancellationToken ct)
    {
        while (true)
        {
            ReadResult result;
            try
            {
                result = await source.ReadAsync(ct);
            }
            catch (OperationCanceledException)
            {
                return RelayEnd.Terminated;
            }
            catch (IOException)
            {
                return RelayEnd.SourceClosed;
            }
            if (result.IsCanceled)
            {
                return RelayEnd.Terminated;
            }
            var buffer = result.Buffer;
            var forward = Scan(buffer);
            if (forward > 0)
            {
                if (!await writeToClient(buffer.Slice(0, forward)))
                {
                    return RelayEnd.DestinationClosed;
                }
                Bytes += forward;
            }
            source.AdvanceTo(buffer.GetPosition(forward), buffer.End);
            if (result.IsCompleted)
            {
                return RelayEnd.SourceClosed;
            }
        }
    }

    private long Scan(in ReadOnlySequence<byte> buffer)
    {
        long pos = 0;
        var length = buffer.Length;
        while (pos < length)
        {
            if (_remaining > 0)
            {
                var take = Math.Min(_remaining, length - pos);
                _remaining -= take;
                pos += take;
                continue;
            }
            if (!MySqlPacketReader.TryPeekHeader(buffer, pos, out var header))
            {
                break;
            }
            var (payloadLength, sequenceId) = header;
            var packetLength = MySqlPacketReader.HeaderLength + payloadLength;
            if (sequenceId == 1 && WantsFirstPacket())
            {
                if (payloadLength > FirstPacketLimit)
                {
                    // Not a COM_STMT_PREPARE_OK (a long ERR): shown as its header alone, then streamed.
                    OnFirstPacket?.Invoke(buffer.Slice(pos, MySqlPacketReader.HeaderLength));
                    _remaining = packetLength;
                    continue;
                }
                if (length - pos < packetLength)
                {
                    break;
                }
                OnFirstPacket?.Invoke(buffer.Slice(pos, packetLength));
                pos += packetLength;
                continue;
            }
            _remaining = packetLength;
        }
        return pos;
    }
}
