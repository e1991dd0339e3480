using System.IO.Pipelines;
using System.Threading.Tasks.Sources;
using Ferry.Tunnel.Frames;

namespace Ferry.Tunnel;

/// <summary>Send side: one pending write handed to the session's writer loop without copying.</summary>
public sealed partial class MuxStream : IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> _writeCore;
    private ReadOnlyMemory<byte> _pendingWrite;
    private bool _writeActive;
    private CancellationTokenRegistration _writeCancellation;

    /// <summary>
    /// Queues <paramref name="buffer"/> for the writer loop; completes once every byte went into the
    /// transport (the send window may hold it back). One write at a time. Cancelling resets the stream.
    /// </summary>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        bool signal;
        bool inline = false;
        short version;
        lock (_session.SyncRoot)
        {
            Exception? error = GetWriteErrorUnsynchronized();
            if (error is not null)
            {
                return ValueTask.FromException(error);
            }

            if (buffer.IsEmpty)
            {
                return default;
            }

            if (_writeActive)
            {
                return ValueTask.FromException(new InvalidOperationException("a write is already pending on this stream"));
            }

            _writeCore.Reset();
            version = _writeCore.Version;
            _pendingWrite = buffer;
            _writeActive = true;
            signal = _session.ScheduleSendUnsynchronized(this);
            if (InReadyQueue)
            {
                // Nobody writes the transport right now: write it from this thread instead of waking the loop.
                inline = _session.TryAcquireWriterUnsynchronized();
            }
        }

        if (cancellationToken.CanBeCanceled)
        {
            _writeCancellation = cancellationToken.UnsafeRegister(static (state, token) => ((MuxStream)state!).OnWriteCanceled(token), this);
        }

        if (inline)
        {
            ValueTask pass = _session.WriteInlineAsync();
            if (!pass.IsCompletedSuccessfully)
            {
                return AwaitInlinePassAsync(pass, version);
            }

            pass.GetAwaiter().GetResult();
        }
        else if (signal)
        {
            _session.SignalWriter();
        }

        return new ValueTask(this, version);
    }

    private async ValueTask AwaitInlinePassAsync(ValueTask pass, short version)
    {
        await pass.ConfigureAwait(false);
        await new ValueTask(this, version).ConfigureAwait(false);
    }

    private Exception? GetWriteErrorUnsynchronized()
    {
        Exception? closed = _session.GetClosedExceptionUnsynchronized();
        if (closed is not null)
        {
            return closed;
        }

        if (_reset)
        {
            return new StreamResetException(Id, _resetByPeer);
        }

        return _finPending || _finSent ? new InvalidOperationException($"writes on stream {Id} were completed (FIN)") : null;
    }

    private void OnWriteCanceled(CancellationToken token)
    {
        lock (_session.SyncRoot)
        {
            if (!_writeActive)
            {
                return;
            }

            CompleteWriteUnsynchronized(new OperationCanceledException("the write was cancelled; the stream was reset", token));
            _session.ResetStreamUnsynchronized(this, byPeer: false);
        }

        _session.SignalWriter();
    }

    private void CompleteWriteUnsynchronized(Exception? error)
    {
        if (!_writeActive)
        {
            return;
        }

        _writeActive = false;
        _pendingWrite = default;
        if (error is null)
        {
            _writeCore.SetResult(true);
        }
        else
        {
            _writeCore.SetException(error);
        }
    }

    /// <summary>
    /// Writes this stream's next frame (at most <paramref name="maxFrameSize"/> payload bytes, within the
    /// send window), carrying pending SYN/ACK/FIN flags. Returns the bytes written, 0 if nothing was due.
    /// </summary>
    internal int WriteNextFrameUnsynchronized(PipeWriter output, int maxFrameSize)
    {
        if (_reset)
        {
            return 0;
        }

        FrameFlags flags = FrameFlags.None;
        if (_synPending)
        {
            flags |= FrameFlags.Syn;
        }

        if (_ackPending)
        {
            flags |= FrameFlags.Ack;
        }

        int length = (int)Math.Min(Math.Min(_pendingWrite.Length, _sendWindow.Available), maxFrameSize);
        bool fin = _finPending && length == _pendingWrite.Length;
        if (fin)
        {
            flags |= FrameFlags.Fin;
        }

        if (length == 0 && flags == FrameFlags.None)
        {
            return 0;
        }

        // A frame without payload travels as a WindowUpdate with delta 0, as hashicorp/yamux does.
        var header = new FrameHeader(length > 0 ? FrameType.Data : FrameType.WindowUpdate, flags, Id, (uint)length);
        int size = FrameHeader.Size + length; // header + payload
        Span<byte> span = output.GetSpan(size);
        header.WriteTo(span);
        if (length > 0)
        {
            _pendingWrite.Span[..length].CopyTo(span[FrameHeader.Size..]);
            _pendingWrite = _pendingWrite[length..];
            _sendWindow.TryConsume((uint)length);
        }

        output.Advance(size);
        _synPending = false;
        _ackPending = false;
        if (fin)
        {
            _finPending = false;
            _finSent = true;
            _session.ForgetIfClosedUnsynchronized(this);
        }

        if (_writeActive && _pendingWrite.IsEmpty)
        {
            CompleteWriteUnsynchronized(null);
        }

        return size;
    }

    /// <summary>Adds a WindowUpdate delta from the peer; false when the window would overflow (protocol error).</summary>
    internal bool OnWindowUpdateUnsynchronized(uint delta) => _sendWindow.TryIncrease(delta);

    void IValueTaskSource.GetResult(short token)
    {
        _writeCancellation.Dispose();
        _writeCancellation = default;
        _writeCore.GetResult(token);
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _writeCore.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _writeCore.OnCompleted(continuation, state, token, flags);
}
