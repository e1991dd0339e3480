using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Ferry.Tunnel.Frames;

namespace Ferry.Tunnel;

/// <summary>
/// The single writer loop: control frames first, then one Data frame per ready stream in round-robin
/// order, flushing every <see cref="FlushThreshold"/> bytes under the write deadline.
/// </summary>
public sealed partial class MuxSession
{
    /// <summary>Bytes written to the transport between flushes.</summary>
    internal const int FlushThreshold = 64 * 1024;

    private readonly CancellationTokenSource _writeDeadline = new();

    private async Task WriterLoopAsync()
    {
        PipeWriter output = _transport.Output;
        try
        {
            while (true)
            {
                await _writerSignal.WaitAsync().ConfigureAwait(false);
                while (true)
                {
                    int written = WriteFrames(output, out bool closed, out bool overflow);
                    if (overflow)
                    {
                        Abort(SessionCloseReason.QueueOverflow, new SessionClosedException(
                            SessionCloseReason.QueueOverflow, $"more than {_options.MaxQueuedControlFrames} control frames waited to be sent: the peer floods without reading"));
                        return;
                    }

                    if (written > 0 && !await FlushAsync(output).ConfigureAwait(false))
                    {
                        return;
                    }

                    if (closed)
                    {
                        return;
                    }

                    if (written == 0)
                    {
                        break;
                    }
                }
            }
        }
        catch (WriteTimeoutException ex)
        {
            Abort(SessionCloseReason.WriteTimeout, ex);
        }
        catch (Exception ex)
        {
            Abort(SessionCloseReason.TransportError, new SessionClosedException(SessionCloseReason.TransportError, $"writing the tunnel failed: {ex.Message}", ex));
        }
    }

    /// <summary>
    /// Writes up to <see cref="FlushThreshold"/> bytes of frames. Once the session is closed only the
    /// remaining control frames (a final GoAway) go out, and <paramref name="closed"/> tells the loop to stop.
    /// </summary>
    private int WriteFrames(PipeWriter output, out bool closed, out bool overflow)
    {
        int total = 0;
        lock (_lock)
        {
            closed = _closed;
            overflow = _controlOverflow && !_closed;
            if (overflow || (closed && !_flushControlOnClose))
            {
                return 0;
            }

            while (total < FlushThreshold)
            {
                if (_controlFrames.TryDequeue(out FrameHeader header))
                {
                    header.WriteTo(output.GetSpan(FrameHeader.Size));
                    output.Advance(FrameHeader.Size);
                    total += FrameHeader.Size;
                    continue;
                }

                if (closed || !_readyStreams.TryDequeue(out MuxStream? stream))
                {
                    break;
                }

                stream.InReadyQueue = false;
                total += stream.WriteNextFrameUnsynchronized(output, _options.MaxFrameSize);
                ScheduleSendUnsynchronized(stream); // back of the line if it has more
            }

            if (closed)
            {
                _flushControlOnClose = false;
            }
        }

        return total;
    }

    /// <summary>Flushes under the write deadline; false when the transport is gone or the flush was cancelled by close.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> FlushAsync(PipeWriter output)
    {
        ValueTask<FlushResult> flush = output.FlushAsync(_writeDeadline.Token);
        FlushResult result;
        if (flush.IsCompleted)
        {
            result = flush.Result;
        }
        else
        {
            _writeDeadline.CancelAfter(_options.WriteTimeout);
            try
            {
                result = await flush.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_writeDeadline.IsCancellationRequested)
            {
                throw new WriteTimeoutException(_options.WriteTimeout);
            }

            if (!_writeDeadline.TryReset())
            {
                throw new WriteTimeoutException(_options.WriteTimeout);
            }
        }

        if (result.IsCompleted)
        {
            Abort(SessionCloseReason.TransportClosed, null);
            return false;
        }

        return !result.IsCanceled;
    }
}
