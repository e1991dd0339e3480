using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using Ferry.Agent.Postgres;
using Ferry.Protocol.Postgres.Frontend;

namespace Ferry.Agent.Tests.Postgres;

/// <summary>Messages larger than the audit keeps: streamed through a capture, forwarded unchanged, never held whole.</summary>
public sealed class PostgresRelayLargeMessageTests
{
    private static byte[] QueryBytes(string sql)
    {
        var w = new ArrayBufferWriter<byte>();
        Query.Write(w, sql);
        return w.WrittenSpan.ToArray();
    }

    private static byte[] Message(byte code, int bodyLength)
    {
        var m = new byte[5 + bodyLength];
        m[0] = code;
        BinaryPrimitives.WriteInt32BigEndian(m.AsSpan(1), bodyLength + 4);
        return m;
    }

    [Fact]
    public async Task LargeQuery_IsStreamedThroughTheCapture_ForwardedUnchanged_AndNotHeldWhole()
    {
        // 20 MiB of comment hiding an UPDATE, then a small query.
        string sql = "/*" + new string('x', 20 * 1024 * 1024) + "*/ UPDATE t SET a = 1";
        byte[] large = QueryBytes(sql);
        byte[] small = QueryBytes("SELECT 1");
        // The writer can run at most 64 KiB ahead of the relay: a relay holding the message whole would never let it finish.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024));
        var destination = new MemoryStream();
        var held = new List<string>();
        StreamedStatement? streamed = null;
        var completed = 0;
        var relay = new PostgresRelay(pipe.Reader, destination, 1 << 20)
        {
            Inspect = static code => code == (byte)'Q',
            OnMessage = f => held.Add(Encoding.UTF8.GetString(Query.Read(f).Text)),
            StreamAbove = 1024,
            OnLargeMessage = (code, length) => streamed = new StreamedStatement(false, 1024, length, _ => completed++),
        };
        var run = relay.RunAsync(CancellationToken.None);

        for (int offset = 0; offset < large.Length; offset += 8192)
        {
            await pipe.Writer.WriteAsync(large.AsMemory(offset, Math.Min(8192, large.Length - offset))).AsTask().WaitAsync(TimeSpan.FromMinutes(2));
        }
        await pipe.Writer.WriteAsync(small);
        await pipe.Writer.CompleteAsync();

        Assert.Equal(RelayEnd.SourceClosed, await run);
        Assert.Equal(large.Concat(small).ToArray(), destination.ToArray());
        Assert.Equal(1, completed);
        Assert.Equal(Encoding.UTF8.GetByteCount(sql), streamed!.Text.Length);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql))), streamed.Text.Sha256Hex());
        Assert.True(streamed.Text.Truncated);
        Assert.Equal(sql[..1024], streamed.Text.Text());
        Assert.Equal(["SELECT 1"], held);
    }

    [Fact]
    public async Task LargeParse_CapturesNameAndText_NotTheParameterTypes()
    {
        string sql = "SELECT $1 /*" + new string('y', 5000) + "*/";
        var w = new ArrayBufferWriter<byte>();
        Parse.Write(w, "s1"u8, Encoding.UTF8.GetBytes(sql), [23u]);
        byte[] parse = w.WrittenSpan.ToArray();
        for (int split = 1; split < parse.Length; split += 997)
        {
            var pipe = new Pipe();
            var destination = new MemoryStream();
            StreamedStatement? streamed = null;
            var relay = new PostgresRelay(pipe.Reader, destination, 1 << 20)
            {
                Inspect = static code => code == (byte)'P',
                StreamAbove = 256,
                OnLargeMessage = (code, length) => streamed = new StreamedStatement(true, 256, length, _ => { }),
            };
            var run = relay.RunAsync(CancellationToken.None);
            await pipe.Writer.WriteAsync(parse.AsMemory(0, split));
            await pipe.Writer.WriteAsync(parse.AsMemory(split));
            await pipe.Writer.CompleteAsync();

            Assert.Equal(RelayEnd.SourceClosed, await run);
            Assert.Equal(parse, destination.ToArray());
            Assert.Equal("s1", streamed!.Name);
            Assert.Equal(sql.Length, streamed.Text.Length);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql))), streamed.Text.Sha256Hex());
        }
    }

    [Fact]
    public async Task MessageOverTheInspectionLimit_WithoutAResync_IsRefusedAndEndsTheRelay()
    {
        byte[] small = QueryBytes("SELECT 1");
        byte[] bind = Message((byte)'B', 4096);
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(small.Concat(bind).ToArray());
        await pipe.Writer.CompleteAsync();
        var destination = new MemoryStream();
        (byte Code, int Length)? refused = null;
        var relay = new PostgresRelay(pipe.Reader, destination, 1024)
        {
            Inspect = static code => code is (byte)'Q' or (byte)'B',
            StreamAbove = 512,
            OnLargeMessage = static (_, _) => null,
            OnRefused = (code, length) =>
            {
                refused = (code, length);
                return null;
            },
        };

        Assert.Equal(RelayEnd.ProtocolError, await relay.RunAsync(CancellationToken.None));
        Assert.Equal(((byte)'B', 4096), refused);
        Assert.Equal(small, destination.ToArray());
        Assert.Contains("refused", relay.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MessageOverTheInspectionLimit_IsDroppedWhole_ItsStandInGoesInItsPlace_AndTheRelayCarriesOn()
    {
        // Parse, a Bind too large to hold (its body bytes all 0x42 so a leak would show), Execute, Sync, then a Query:
        // every split of the input, including one byte at a time, gives the same output and the same length and hash.
        byte[] before = QueryBytes("SELECT 'before'");
        byte[] bind = Message((byte)'B', 4096);
        bind.AsSpan(5).Fill(0x42);
        byte[] after = QueryBytes("SELECT 'after'");
        byte[] input = [.. before, .. bind, .. after];
        byte[] standIn = [(byte)'B', 0, 0, 0, 4, 0x99];
        var expectedHash = Convert.ToHexStringLower(SHA256.HashData(bind.AsSpan(5)));
        foreach (var chunk in new[] { 1, 7, 100, 4096, input.Length })
        {
            var pipe = new Pipe();
            var destination = new MemoryStream();
            var held = new List<string>();
            (long Length, string Hash)? dropped = null;
            var relay = new PostgresRelay(pipe.Reader, destination, 1024)
            {
                Inspect = static code => code is (byte)'Q' or (byte)'B',
                OnMessage = f => held.Add(Encoding.UTF8.GetString(Query.Read(f).Text)),
                OnLargeMessage = static (_, _) => null,
                OnRefused = (code, length) => new PostgresRefusal(standIn, new RefusedMessage(length, c => dropped = (c.Length, c.Sha256Hex()))),
            };
            var run = relay.RunAsync(CancellationToken.None);
            for (int offset = 0; offset < input.Length; offset += chunk)
            {
                await pipe.Writer.WriteAsync(input.AsMemory(offset, Math.Min(chunk, input.Length - offset)));
            }
            await pipe.Writer.CompleteAsync();

            Assert.Equal(RelayEnd.SourceClosed, await run);
            Assert.Equal([.. before, .. standIn, .. after], destination.ToArray());
            Assert.Equal((4096L, expectedHash), dropped);
            Assert.Equal(["SELECT 'before'", "SELECT 'after'"], held);
            Assert.True(relay.AtBoundary);
        }
    }

    [Fact]
    public async Task AnInspectedMessage_WithAReplacement_IsForwardedAsTheReplacement()
    {
        byte[] one = QueryBytes("SELECT 1");
        byte[] two = QueryBytes("SELECT 2");
        byte[] three = QueryBytes("SELECT 3");
        byte[] replacement = QueryBytes("SELECT 'two'");
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(one.Concat(two).Concat(three).ToArray());
        await pipe.Writer.CompleteAsync();
        var destination = new MemoryStream();
        var relay = new PostgresRelay(pipe.Reader, destination, 1024)
        {
            Inspect = static code => code == (byte)'Q',
            Replace = f => Encoding.UTF8.GetString(Query.Read(f).Text) == "SELECT 2" ? replacement : null,
        };

        Assert.Equal(RelayEnd.SourceClosed, await relay.RunAsync(CancellationToken.None));
        Assert.Equal([.. one, .. replacement, .. three], destination.ToArray());
    }
}
