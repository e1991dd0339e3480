using System.IO.Pipelines;
using System.Text;
using System.Text.Json;

namespace Ferry.Proxy.Tests;

/// <summary>
/// The proxy's reading of an agent's heartbeat stream (<see cref="TunnelAcceptor.ReadHeartbeatAsync"/>): JSON lines,
/// each bounded before it is buffered whole, nulls where a heartbeat has values refused, absent fields defaulted.
/// </summary>
public sealed class HeartbeatReaderTests
{
    private static PipeReader Reader(byte[] bytes) => PipeReader.Create(new MemoryStream(bytes));

    [Fact]
    public async Task Lines_AreReadInOrder_AndTheEndOfTheStreamIsNull()
    {
        var reader = Reader(Encoding.UTF8.GetBytes(
            "{\"agent_id\":\"a\",\"databases\":[{\"name\":\"pg1\",\"protocol\":\"postgres\"}]}\n{\"agent_id\":\"a\",\"databases\":[]}\n"));

        var first = await TunnelAcceptor.ReadHeartbeatAsync(reader, CancellationToken.None);
        var second = await TunnelAcceptor.ReadHeartbeatAsync(reader, CancellationToken.None);
        var end = await TunnelAcceptor.ReadHeartbeatAsync(reader, CancellationToken.None);

        var db = Assert.Single(first!.Databases);
        Assert.Equal(("pg1", "postgres", true, 0), (db.Name, db.Protocol, db.Healthy, db.Labels.Count));
        Assert.Empty(second!.Databases);
        Assert.Null(end);
    }

    [Fact]
    public async Task ALineLongerThanTheBound_IsRefused_BeforeItIsBufferedWhole()
    {
        // 8 MiB without a newline: a reader that waited for one would buffer all of it.
        var endless = new EndlessStream((byte)'x', 8 * 1024 * 1024);
        var reader = PipeReader.Create(endless);

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => TunnelAcceptor.ReadHeartbeatAsync(reader, CancellationToken.None).AsTask());

        Assert.Contains("longer than", e.Message, StringComparison.Ordinal);
        Assert.True(endless.Served <= TunnelAcceptor.MaxHeartbeatBytes + 1024 * 1024, $"read {endless.Served} bytes");
    }

    [Theory]
    [InlineData("null", "object")]
    [InlineData("{\"agent_id\":\"a\",\"databases\":[null]}", "databases[0]")]
    [InlineData("{\"agent_id\":\"a\",\"databases\":null}", "databases")]
    [InlineData("{\"agent_id\":\"a\",\"databases\":[{\"name\":\"pg1\",\"labels\":null}]}", "labels")]
    [InlineData("{\"agent_id\":\"a\",\"databases\":[{\"name\":\"pg1\",\"labels\":{\"env\":null}}]}", "null")]
    [InlineData("{\"agent_id\":\"a\",\"databases\":[{\"name\":\"pg1\",\"db_users\":[null]}]}", "null")]
    [InlineData("{\"agent_id\":\"a\",\"databases\":[{\"name\":null}]}", "name")]
    [InlineData("{\"agent_id\":\"a\",\"databases\":[{\"name\":\"pg1\",\"protocol\":null}]}", "protocol")]
    [InlineData("{\"databases\":[]}", "agent_id")]
    [InlineData("[1,2]", "")]
    public async Task ALineThatIsNotAHeartbeat_IsAJsonException_NamingWhatIsWrong(string line, string named)
    {
        var reader = Reader(Encoding.UTF8.GetBytes(line + "\n"));

        var e = await Assert.ThrowsAnyAsync<JsonException>(() => TunnelAcceptor.ReadHeartbeatAsync(reader, CancellationToken.None).AsTask());

        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    private sealed class EndlessStream(byte fill, long length) : Stream
    {
        public long Served { get; private set; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            count = (int)Math.Min(count, length - Served);
            Array.Fill(buffer, fill, offset, count);
            Served += count;
            return count;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
