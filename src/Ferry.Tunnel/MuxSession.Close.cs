using Ferry.Tunnel.Frames;

namespace Ferry.Tunnel;

/// <summary>Session shutdown: abort fans the cause out to every stream, then the transport is completed.</summary>
public sealed partial class MuxSession
{
    private bool _flushControlOnClose;

    /// <summary>Closes the session: sends GoAway (normal) if not yet sent, fails open streams and closes the transport.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            if (!_closed && !_localGoAway)
            {
                _localGoAway = true;
                EnqueueControlUnsynchronized(FrameHeader.GoAway(GoAwayCode.Normal));
            }
        }

        Abort(SessionCloseReason.LocalClose, null);
        try
        {
            await Completion.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // the cause is reported by Completion to whoever observes it
        }
    }

    /// <summary>Ends the session once; the first cause wins.</summary>
    internal void Abort(SessionCloseReason reason, Exception? cause)
    {
        MuxStream[] streams;
        PendingPing[] pings;
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            _closeReason = reason;
            _closeCause = cause;
            _flushControlOnClose = reason is SessionCloseReason.LocalClose or SessionCloseReason.ProtocolError;
            streams = [.. _streams.Values];
            _streams.Clear();
            _readyStreams.Clear();
            _payloadStream = null;
            foreach (MuxStream stream in streams)
            {
                stream.FailUnsynchronized(new SessionClosedException(reason, DescribeClose(reason), cause));
            }

            pings = [.. _pings.Values];
            _pings.Clear();
            _acceptQueue.Writer.TryComplete(new SessionClosedException(reason, DescribeClose(reason), cause));
            _drained?.TrySetResult();
        }

        foreach (PendingPing ping in pings)
        {
            ping.Answer.TrySetException(new SessionClosedException(reason, DescribeClose(reason), cause));
        }

        _closedCts.Cancel();
        _transport.Input.CancelPendingRead();
        if (!_flushControlOnClose)
        {
            _transport.Output.CancelPendingFlush();
        }

        _writerSignal.Set();
    }

    private async Task FinishAsync()
    {
        await Task.WhenAll(_readerLoop, _writerLoop, _keepAliveLoop).ConfigureAwait(false);
        await _transport.Input.CompleteAsync().ConfigureAwait(false);
        await _transport.Output.CompleteAsync().ConfigureAwait(false);
        if (_ownedStream is not null)
        {
            await _ownedStream.DisposeAsync().ConfigureAwait(false);
        }

        _writeDeadline.Dispose();
        Exception? cause;
        lock (_lock)
        {
            cause = _closeReason is SessionCloseReason.LocalClose or SessionCloseReason.TransportClosed ? null : _closeCause;
        }

        if (cause is not null)
        {
            throw cause;
        }
    }
}
