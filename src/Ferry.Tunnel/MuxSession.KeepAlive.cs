using System.Diagnostics;
using Ferry.Tunnel.Frames;

namespace Ferry.Tunnel;

/// <summary>Keepalive pings: RTT measurement (feeds window auto-tuning) and dead-peer detection.</summary>
public sealed partial class MuxSession
{
    private readonly Dictionary<uint, PendingPing> _pings = [];
    private uint _nextPingId;

    /// <summary>
    /// Sends a ping and waits for its answer; updates <see cref="Rtt"/>.
    /// </summary>
    /// <exception cref="KeepAliveTimeoutException">No answer within <see cref="MuxOptions.KeepAliveTimeout"/>.</exception>
    /// <exception cref="SessionClosedException">The session closed first.</exception>
    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        uint id;
        var answer = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            Exception? closed = GetClosedExceptionUnsynchronized();
            if (closed is not null)
            {
                throw closed;
            }

            id = ++_nextPingId;
            _pings[id] = new PendingPing(answer, Stopwatch.GetTimestamp());
            EnqueueControlUnsynchronized(FrameHeader.PingRequest(id));
        }

        SignalWriter();
        try
        {
            return await answer.Task.WaitAsync(_options.KeepAliveTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new KeepAliveTimeoutException(_options.KeepAliveTimeout);
        }
        finally
        {
            lock (_lock)
            {
                _pings.Remove(id);
            }
        }
    }

    private void OnPingAnswered(uint id, long now)
    {
        PendingPing ping;
        lock (_lock)
        {
            if (!_pings.Remove(id, out ping))
            {
                return; // unknown or already timed out
            }
        }

        long rtt = Math.Max(1, now - ping.SentAt);
        Volatile.Write(ref _rttTicks, rtt);
        ping.Answer.TrySetResult(Stopwatch.GetElapsedTime(0, rtt));
    }

    private async Task KeepAliveLoopAsync()
    {
        CancellationToken closed = _closedCts.Token;
        try
        {
            // The first ping measures RTT right away so window auto-tuning can start.
            await PingAsync(closed).ConfigureAwait(false);
            if (!_options.KeepAliveEnabled)
            {
                return;
            }

            while (true)
            {
                await Task.Delay(_options.KeepAliveInterval, closed).ConfigureAwait(false);
                await PingAsync(closed).ConfigureAwait(false);
            }
        }
        catch (KeepAliveTimeoutException ex)
        {
            if (_options.KeepAliveEnabled)
            {
                Abort(SessionCloseReason.KeepAliveTimeout, ex);
            }
        }
        catch (Exception) when (closed.IsCancellationRequested || Volatile.Read(ref _closed))
        {
            // the session ended
        }
    }

    private readonly record struct PendingPing(TaskCompletionSource<TimeSpan> Answer, long SentAt);
}
