namespace Ferry.Wire;

/// <summary>
/// Buffers a connection's reads (a frame header and its body are one read). Writes go straight through: the clients
/// always write a whole framed message and flush, so there is nothing to gain from buffering them — and a
/// <see cref="BufferedStream"/> refuses to write while unread bytes sit in its read buffer (a notice, a parameter
/// status or a FATAL the server sent between statements), which is an answer the server is entitled to give.
/// </summary>
internal sealed class WireStream(Stream inner) : Stream
{
    public const int BufferSize = 16 * 1024;

    private readonly byte[] _buffer = new byte[BufferSize];
    private int _start;
    private int _end;

    public static Stream Buffered(Stream stream) => stream is WireStream ? stream : new WireStream(stream);

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        if (_start == _end)
        {
            if (buffer.Length >= BufferSize)
            {
                return inner.Read(buffer);
            }

            _start = 0;
            _end = inner.Read(_buffer);
        }

        return Take(buffer);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        if (_start == _end)
        {
            if (buffer.Length >= BufferSize)
            {
                return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }

            _start = 0;
            _end = await inner.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
        }

        return Take(buffer.Span);
    }

    private int Take(Span<byte> destination)
    {
        int n = Math.Min(destination.Length, _end - _start);
        _buffer.AsSpan(_start, n).CopyTo(destination);
        _start += n;
        return n;
    }

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.WriteAsync(buffer, cancellationToken);

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
