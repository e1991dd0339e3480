using System.Threading.Channels;
using Ferry.Tunnel.Frames;

namespace Ferry.Tunnel;

/// <summary>Opening, accepting, half-closing and resetting streams; GoAway drain.</summary>
public sealed partial class MuxSession
{
    /// <summary>
    /// Opens a stream. The SYN goes out with the first frame, so data written right away rides with it.
    /// Waits for a slot when <see cref="MuxOptions.MaxStreams"/> streams are open.
    /// </summary>
    /// <exception cref="GoAwayException">Either side sent GoAway.</exception>
    /// <exception cref="SessionClosedException">The session is closed.</exception>
    public async ValueTask<MuxStream> OpenStreamAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfCannotOpen();
        if (!_streamSlots.Wait(0))
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closedCts.Token);
            try
            {
                await _streamSlots.WaitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                ThrowIfCannotOpen();
                throw;
            }
        }

        MuxStream stream;
        lock (_lock)
        {
            Exception? error = GetOpenErrorUnsynchronized();
            if (error is null && _nextStreamId > uint.MaxValue - 2)
            {
                error = new InvalidOperationException("stream ids are exhausted: open a new session");
            }

            if (error is not null)
            {
                _streamSlots.Release();
                throw error;
            }

            stream = new MuxStream(this, _nextStreamId, outbound: true, (uint)_options.MaxReceiveWindow);
            _nextStreamId += 2;
            _streams.Add(stream.Id, stream);
            ScheduleSendUnsynchronized(stream);
        }

        SignalWriter();
        return stream;
    }

    /// <summary>Waits for the next stream opened by the peer and acknowledges it (ACK).</summary>
    /// <exception cref="GoAwayException">Either side sent GoAway and the backlog is empty.</exception>
    /// <exception cref="SessionClosedException">The session is closed and the backlog is empty.</exception>
    public async ValueTask<MuxStream> AcceptStreamAsync(CancellationToken cancellationToken = default)
    {
        if (!_acceptQueue.Reader.TryRead(out MuxStream? stream))
        {
            try
            {
                stream = await _acceptQueue.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException ex) when (ex.InnerException is not null)
            {
                throw ex.InnerException is GoAwayException goAway
                    ? new GoAwayException(goAway.Code, goAway.ByPeer)
                    : new SessionClosedException(_closeReason, DescribeClose(_closeReason), _closeCause);
            }
        }

        bool signal;
        lock (_lock)
        {
            stream.MarkAcceptedUnsynchronized();
            signal = ScheduleSendUnsynchronized(stream);
        }

        if (signal)
        {
            SignalWriter();
        }

        return stream;
    }

    /// <summary>
    /// Sends GoAway (normal): neither side opens new streams, open ones finish. The task completes once
    /// every stream has closed (or the session ended); dispose the session afterwards.
    /// </summary>
    public Task GoAwayAsync(CancellationToken cancellationToken = default)
    {
        Task drained;
        lock (_lock)
        {
            if (_closed)
            {
                return Task.CompletedTask;
            }

            if (!_localGoAway)
            {
                _localGoAway = true;
                EnqueueControlUnsynchronized(FrameHeader.GoAway(GoAwayCode.Normal));
                _acceptQueue.Writer.TryComplete(new GoAwayException(GoAwayCode.Normal, byPeer: false));
            }

            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_streams.Count == 0)
            {
                _drained.TrySetResult();
            }

            drained = _drained.Task;
        }

        SignalWriter();
        return drained.WaitAsync(cancellationToken);
    }

    internal void CompleteWrites(MuxStream stream)
    {
        bool signal;
        lock (_lock)
        {
            if (stream.WritesCompletedUnsynchronized || stream.IsResetUnsynchronized)
            {
                return;
            }

            stream.MarkFinPendingUnsynchronized();
            signal = ScheduleSendUnsynchronized(stream);
        }

        if (signal)
        {
            SignalWriter();
        }
    }

    internal void ResetStream(MuxStream stream, bool byPeer)
    {
        bool signal;
        lock (_lock)
        {
            signal = ResetStreamUnsynchronized(stream, byPeer);
        }

        if (signal)
        {
            SignalWriter();
        }
    }

    /// <summary>Resets a stream; a local reset sends RST. Returns true when the writer must be signalled.</summary>
    internal bool ResetStreamUnsynchronized(MuxStream stream, bool byPeer)
    {
        if (_closed || !stream.MarkResetUnsynchronized(byPeer))
        {
            return false;
        }

        ForgetIfClosedUnsynchronized(stream);
        return !byPeer && EnqueueControlUnsynchronized(FrameHeader.Reset(stream.Id));
    }

    private void ThrowIfCannotOpen()
    {
        lock (_lock)
        {
            Exception? error = GetOpenErrorUnsynchronized();
            if (error is not null)
            {
                throw error;
            }
        }
    }

    private Exception? GetOpenErrorUnsynchronized()
    {
        if (_closed)
        {
            return GetClosedExceptionUnsynchronized();
        }

        if (_remoteGoAway is { } code)
        {
            return new GoAwayException(code, byPeer: true);
        }

        return _localGoAway ? new GoAwayException(GoAwayCode.Normal, byPeer: false) : null;
    }
}
