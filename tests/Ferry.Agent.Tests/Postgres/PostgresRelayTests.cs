using System.Buffers;
using System.IO.Pipelines;
using Ferry.Agent.Postgres;
using Ferry.Protocol.Postgres.Frontend;

namespace Ferry.Agent.Tests.Postgres;

/// <summary>The PostgreSQL relay's stop and cancel semantics that server-connection reuse depends on.</summary>
public sealed class PostgresRelayTests
{
    private static byte[] QueryBytes(string sql)
    {
        var w = new ArrayBufferWriter<byte>();
        Query.Write(w, sql);
        return w.WrittenSpan.ToArray();
    }

    private static readonly byte[] Terminate = [(byte)'X', 0, 0, 0, 4];

    [Fact]
    public async Task StopBefore_ForwardsWhatPrecedesTheMessage_AndLeavesItUnread()
    {
        var pipe = new Pipe();
        var q = QueryBytes("SELECT 1");
        await pipe.Writer.WriteAsync(q.Concat(Terminate).ToArray());
        var destination = new MemoryStream();
        var seen = new List<byte>();
        var relay = new PostgresRelay(pipe.Reader, destination, 1 << 20)
        {
            Inspect = static code => code == (byte)'Q',
            OnMessage = f => seen.Add(f.Code),
            StopBefore = (byte)'X',
        };

        Assert.Equal(RelayEnd.Stopped, await relay.RunAsync(CancellationToken.None));
        Assert.Equal(q, destination.ToArray());
        Assert.Equal([(byte)'Q'], seen);
        Assert.True(relay.AtBoundary);
        var rest = await pipe.Reader.ReadAsync();
        Assert.Equal(Terminate, rest.Buffer.ToArray());
    }

    [Fact]
    public async Task WithoutStopBefore_TerminateIsForwardedLikeAnyMessage()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(Terminate);
        await pipe.Writer.CompleteAsync();
        var destination = new MemoryStream();
        var relay = new PostgresRelay(pipe.Reader, destination, 1 << 20);

        Assert.Equal(RelayEnd.SourceClosed, await relay.RunAsync(CancellationToken.None));
        Assert.Equal(Terminate, destination.ToArray());
    }

    [Fact]
    public async Task CancelPendingRead_EndsTheRelay_AndTheSourceCanBeReadAgain()
    {
        var pipe = new Pipe();
        var destination = new MemoryStream();
        var relay = new PostgresRelay(pipe.Reader, destination, 1 << 20);
        var run = relay.RunAsync(CancellationToken.None);
        pipe.Reader.CancelPendingRead();
        Assert.Equal(RelayEnd.Terminated, await run);

        // A pooled connection's next session reads the same source.
        var q = QueryBytes("SELECT 2");
        await pipe.Writer.WriteAsync(q);
        await pipe.Writer.CompleteAsync();
        var next = new MemoryStream();
        Assert.Equal(RelayEnd.SourceClosed, await new PostgresRelay(pipe.Reader, next, 1 << 20).RunAsync(CancellationToken.None));
        Assert.Equal(q, next.ToArray());
    }
}
