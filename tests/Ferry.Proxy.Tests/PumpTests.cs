using System.IO.Pipelines;

namespace Ferry.Proxy.Tests;

public sealed class PumpTests
{
    [Fact]
    public async Task FramesBufferedInSeveralPipeSegments_GoOutInOneWrite()
    {
        var source = new PipeStream();
        var sent = new byte[9000];
        Random.Shared.NextBytes(sent);
        for (var i = 0; i < 3; i++)
        {
            // 3000 bytes do not fit twice in a 4 KiB pipe block: each lands in its own segment.
            sent.AsSpan(i * 3000, 3000).CopyTo(source.Pipe.Writer.GetMemory(3000).Span);
            source.Pipe.Writer.Advance(3000);
            await source.Pipe.Writer.FlushAsync();
        }
        await source.Pipe.Writer.CompleteAsync();
        var to = new RecordingStream();

        var copied = await Pump.CopyAsync(source, to, CancellationToken.None);

        Assert.Equal(9000, copied);
        Assert.Equal([9000], to.Writes);
        Assert.Equal(sent, to.Received.ToArray());
    }

    [Fact]
    public async Task MoreThanOneCopyBufferAtOnce_IsWrittenInBufferSizedPieces_InOrder()
    {
        var source = new PipeStream();
        var sent = new byte[(2 * Pump.BufferSize) + 1234];
        Random.Shared.NextBytes(sent);
        await source.Pipe.Writer.WriteAsync(sent);
        await source.Pipe.Writer.CompleteAsync();
        var to = new RecordingStream();

        var copied = await Pump.CopyAsync(source, to, CancellationToken.None);

        Assert.Equal(sent.Length, copied);
        Assert.All(to.Writes, n => Assert.InRange(n, 1, Pump.BufferSize));
        Assert.Equal(sent, to.Received.ToArray());
    }

    /// <summary>A stream that is a pipe, as a tunnel stream is.</summary>
    private sealed class PipeStream() : Ferry.Testing.OneWayStream(reads: true), IDuplexPipe
    {
        public Pipe Pipe { get; } = new(new PipeOptions(minimumSegmentSize: 4096, pauseWriterThreshold: 0));
        public PipeReader Input => Pipe.Reader;
        public PipeWriter Output => throw new NotSupportedException();
    }

    private sealed class RecordingStream() : Ferry.Testing.OneWayStream(reads: false)
    {
        public List<int> Writes { get; } = [];
        public MemoryStream Received { get; } = new();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Writes.Add(buffer.Length);
            Received.Write(buffer);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }
    }
}
