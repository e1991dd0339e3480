using System.IO.Pipelines;

namespace Ferry.Tunnel;

/// <summary>
/// The stream's <see cref="PipeWriter"/>: buffers like any stream pipe writer and hands flushed bytes to
/// <see cref="MuxStream.WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>. Completing it sends FIN,
/// or RST when completed with an exception.
/// </summary>
internal sealed class MuxStreamWriter(MuxStream stream) : PipeWriter
{
    private readonly PipeWriter _inner = Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 16 * 1024, leaveOpen: true));
    private bool _completed;

    public override bool CanGetUnflushedBytes => _inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => _inner.UnflushedBytes;

    public override void Advance(int bytes) => _inner.Advance(bytes);

    public override Memory<byte> GetMemory(int sizeHint = 0) => _inner.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => _inner.GetSpan(sizeHint);

    public override void CancelPendingFlush() => _inner.CancelPendingFlush();

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => _inner.FlushAsync(cancellationToken);

    public override void Complete(Exception? exception = null)
    {
        if (_completed)
        {
            return;
        }

        _completed = true;
        if (exception is null)
        {
            _inner.Complete();
            stream.CompleteWrites();
        }
        else
        {
            _inner.Complete(exception);
            stream.Reset();
        }
    }

    public override async ValueTask CompleteAsync(Exception? exception = null)
    {
        if (_completed)
        {
            return;
        }

        _completed = true;
        if (exception is null)
        {
            await _inner.CompleteAsync().ConfigureAwait(false);
            stream.CompleteWrites();
        }
        else
        {
            await _inner.CompleteAsync(exception).ConfigureAwait(false);
            stream.Reset();
        }
    }

    /// <summary>Releases buffers when the stream is disposed; unflushed bytes are dropped.</summary>
    internal void CompleteInner()
    {
        if (!_completed)
        {
            _completed = true;
            _inner.Complete(new ObjectDisposedException(nameof(MuxStream)));
        }
    }
}
