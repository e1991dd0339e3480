namespace Ferry.Testing;

/// <summary>
/// A test stream that only reads or only writes and never seeks: everything else throws. Derived classes override
/// the side they have (<see cref="Stream.Read(byte[], int, int)"/> or <see cref="Stream.Write(byte[], int, int)"/>).
/// </summary>
public abstract class OneWayStream(bool reads) : Stream
{
    public override bool CanRead => reads;
    public override bool CanSeek => false;
    public override bool CanWrite => !reads;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
