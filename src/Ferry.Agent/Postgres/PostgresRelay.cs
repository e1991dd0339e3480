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
/// Everything read is forwarded unchanged and in order, in one write per read.
/// </summary>
internal sealed class PostgresRelay(PipeReader source, Stream destination, int maxInspectedLength)
{
    private long _remaining;

    public Func<byte, bool> Inspect { get; init; } = static _ => false;

    public Action<PostgresFrame>? OnMessage { get; init; }

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
                _remaining -= take;
                reader.Advance(take);
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
            if (Inspect(header.Code) && header.Length <= maxInspectedLength)
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
}
