using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Ferry.Tunnel.Frames;

namespace Ferry.Tunnel;

/// <summary>
/// Writing the transport: control frames first, then one Data frame per ready stream in round-robin
/// order, flushing every <see cref="FlushThreshold"/> bytes under the write deadline. One writer at a
/// time owns the transport's output: usually the writer loop, but a stream's <c>WriteAsync</c> that
/// finds the output free takes it and makes one bounded pass on its own thread, so a small message
/// goes into the transport without waking another thread (see <see cref="WriteInlineAsync"/>).
/// </summary>
public sealed partial class MuxSession
{
    /// <summary>Bytes written to the transport between flushes.</summary>
    internal const int FlushThreshold = 64 * 1024;

    private readonly CancellationTokenSource _writeDeadline = new();

    // Guarded by the session lock: someone (the loop or an inline pass) is writing the transport.
    private bool _writerOwned;

    private async Task WriterLoopAsync()
    {
        PipeWriter output = _transport.Output;
        try
        {
            while (true)
            {
                await _writerSignal.WaitAsync().ConfigureAwait(false);
                lock (_lock)
                {
                    if (_writerOwned)
                    {
                        continue; // an inline pass is writing; it signals again when it leaves work behind
                    }

                    _writerOwned = true;
                }

                while (true)
                {
                    int written = WriteFrames(output, inline: false, out bool closed, out bool overflow);
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

                    if (written == 0 && TryReleaseWriter())
                    {
                        break;
                    }
                }
            }
        }
        catch (Exception ex)
        {
            AbortOnWriteFailure(ex);
        }
    }

    /// <summary>Ends the session after writing the transport failed (the loop's and an inline pass's common fate).</summary>
    private void AbortOnWriteFailure(Exception ex)
    {
        if (ex is WriteTimeoutException timeout)
        {
            Abort(SessionCloseReason.WriteTimeout, timeout);
        }
        else
        {
            Abort(SessionCloseReason.TransportError, new SessionClosedException(SessionCloseReason.TransportError, $"writing the tunnel failed: {ex.Message}", ex));
        }
    }

    /// <summary>Takes the transport's output for an inline pass when nobody writes it (session lock held).</summary>
    internal bool TryAcquireWriterUnsynchronized()
    {
        if (_writerOwned || _closed)
        {
            return false;
        }

        _writerOwned = true;
        return true;
    }

    /// <summary>The loop gives the output back when nothing waits to be written; false when there is more.</summary>
    private bool TryReleaseWriter()
    {
        lock (_lock)
        {
            if (HasWriteWorkUnsynchronized)
            {
                return false;
            }

            _writerOwned = false;
            return true;
        }
    }

    /// <summary>Nobody writes the transport and nothing waits to be written (session lock held).</summary>
    internal bool IsWriterIdleUnsynchronized => !_writerOwned && !HasWriteWorkUnsynchronized;

    private bool HasWriteWorkUnsynchronized => _controlFrames.Count > 0 || _readyStreams.Count > 0 || _controlOverflow || _closed;

    /// <summary>
    /// One pass by a writer that took the output with <see cref="TryAcquireWriterUnsynchronized"/>: at most
    /// <see cref="FlushThreshold"/> bytes of frames, one flush, then the output goes back. Whatever is left
    /// (more data, a full send window, a session closing or flooded with control frames) is the writer
    /// loop's, which is signalled. Failures abort the session, as in the loop; this never throws.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    internal async ValueTask WriteInlineAsync()
    {
        PipeWriter output = _transport.Output;
        try
        {
            int written = WriteFrames(output, inline: true, out _, out _);
            if (written > 0)
            {
                await FlushAsync(output).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            AbortOnWriteFailure(ex);
        }
        finally
        {
            bool more;
            lock (_lock)
            {
                _writerOwned = false;
                more = HasWriteWorkUnsynchronized;
            }

            if (more)
            {
                SignalWriter();
            }
        }
    }

    /// <summary>
    /// Writes up to <see cref="FlushThreshold"/> bytes of frames. Once the session is closed only the
    /// remaining control frames (a final GoAway) go out, and <paramref name="closed"/> tells the loop to stop;
    /// an <paramref name="inline"/> pass leaves closing and control-frame floods to the loop and writes nothing.
    /// </summary>
    private int WriteFrames(PipeWriter output, bool inline, out bool closed, out bool overflow)
    {
        int total = 0;
        lock (_lock)
        {
            closed = _closed;
            overflow = _controlOverflow && !_closed;
            if (overflow || (closed && (inline || !_flushControlOnClose)))
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
