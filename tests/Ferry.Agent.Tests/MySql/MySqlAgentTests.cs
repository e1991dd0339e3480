using System.Buffers;
using System.IO.Pipelines;
using Ferry.Agent.MySql;
using Ferry.Agent.Postgres;
using Ferry.Protocol.MySql.Commands;
using Ferry.Protocol.MySql.Packets;
using Ferry.Protocol.MySql.Responses;

namespace Ferry.Agent.Tests.MySql;

/// <summary>The agent's MySQL pieces without a database: KILL rewriting and the command relay's framing.</summary>
public sealed class MySqlAgentTests
{
    [Theory]
    [InlineData("KILL QUERY 1073741830", 1073741830u)]
    [InlineData("kill 1073741830", 1073741830u)]
    [InlineData("  KILL HARD CONNECTION 42 ; ", 42u)]
    [InlineData("KILL SOFT QUERY 7", 7u)]
    public void KillStatement_FindsTheThreadId(string sql, uint expected)
    {
        Assert.True(MySqlKillStatement.TryParse(sql, out var id, out var start, out var length));
        Assert.Equal(expected, id);
        Assert.Equal(sql.Replace(expected.ToString(System.Globalization.CultureInfo.InvariantCulture), "12", StringComparison.Ordinal), MySqlKillStatement.Rewrite(sql, start, length, 12));
    }

    [Theory]
    [InlineData("KILL QUERY ID 5")]
    [InlineData("KILL USER bob")]
    [InlineData("SELECT 'KILL 5'")]
    [InlineData("KILL 5; DROP TABLE t")]
    [InlineData("KILL 99999999999")]
    public void KillStatement_LeavesEverythingElseAlone(string sql)
    {
        Assert.False(MySqlKillStatement.TryParse(sql, out _, out _, out _));
    }

    [Fact]
    public async Task CommandRelay_SplitAtEveryOffset_SeesEachCommandOnceAndForwardsEveryByte()
    {
        var w = new ArrayBufferWriter<byte>();
        ComQuery.Write(w, "SELECT 1"u8);
        ComText.Write(w, CommandCode.InitDb, "app"u8);
        ComQuery.Write(w, new byte[300]);
        var input = w.WrittenSpan.ToArray();
        for (var split = 0; split <= input.Length; split++)
        {
            var (seen, forwarded, end) = await RunRelayAsync([input[..split], input[split..]]);
            Assert.Equal(RelayEnd.SourceClosed, end);
            Assert.Equal([CommandCode.Query, CommandCode.InitDb, CommandCode.Query], seen);
            Assert.Equal(input, forwarded);
        }
    }

    [Fact]
    public async Task CommandRelay_OneBytePerSegment_ForwardsEveryByte()
    {
        var w = new ArrayBufferWriter<byte>();
        ComQuery.Write(w, "SELECT 1"u8);
        ComStatement.Write(w, CommandCode.StmtClose, 3);
        var input = w.WrittenSpan.ToArray();
        var (seen, forwarded, end) = await RunRelayAsync([.. input.Select(b => new[] { b })]);
        Assert.Equal(RelayEnd.SourceClosed, end);
        Assert.Equal([CommandCode.Query, CommandCode.StmtClose], seen);
        Assert.Equal(input, forwarded);
    }

    [Fact]
    public async Task CommandRelay_CommandWithNonZeroSequenceId_EndsTheSessionWithoutForwardingIt()
    {
        var w = new ArrayBufferWriter<byte>();
        ComQuery.Write(w, "SELECT 1"u8);
        var good = w.WrittenSpan.ToArray();
        byte[] bad = [1, 0, 0, 5, (byte)CommandCode.Ping];
        var (seen, forwarded, end) = await RunRelayAsync([[.. good, .. bad, .. good]]);
        Assert.Equal(RelayEnd.ProtocolError, end);
        Assert.Equal([CommandCode.Query], seen);
        Assert.Equal(good, forwarded);
    }

    [Fact]
    public async Task ResponseRelay_SplitAtEveryOffset_ShowsThePrepareAnswerOnceAndForwardsEveryByte()
    {
        var w = new ArrayBufferWriter<byte>();
        // A result set's row at sequence id 1 would not be shown: only while a prepare answer is awaited.
        StmtPrepareOk.Write(w, 1, statementId: 9, columnCount: 0, parameterCount: 0, warnings: 0);
        var longErr = new byte[200];
        longErr[0] = 0xFF;
        byte seq = 1;
        MySqlPacketWriter.WritePayload(w, ref seq, longErr);
        var input = w.WrittenSpan.ToArray();
        for (var split = 0; split <= input.Length; split++)
        {
            var pipe = new Pipe();
            var forwarded = new MemoryStream();
            var shown = new List<int>();
            var tracker = new ResponseTracker(MySqlCapabilities.Protocol41 | MySqlCapabilities.DeprecateEof);
            tracker.Expect(ExpectedResponse.Prepare);
            tracker.Expect(ExpectedResponse.Prepare);
            var relay = new MySqlResponseRelay(pipe.Reader, data =>
            {
                foreach (var segment in data)
                {
                    forwarded.Write(segment.Span);
                }
                return ValueTask.FromResult(true);
            }, tracker)
            {
                OnPacket = (step, packet) =>
                {
                    Assert.Equal(ResponseStepKind.PrepareFirst, step.Kind);
                    shown.Add((int)packet.Length);
                    return ResponseAction.Forward;
                },
            };
            var run = relay.RunAsync(CancellationToken.None);
            await pipe.Writer.WriteAsync(input.AsMemory(0, split));
            await pipe.Writer.WriteAsync(input.AsMemory(split));
            await pipe.Writer.CompleteAsync();
            Assert.Equal(RelayEnd.SourceClosed, await run);
            Assert.Equal(input, forwarded.ToArray());
            // The whole 16-byte COM_STMT_PREPARE_OK packet, then the whole ERR.
            Assert.Equal([4 + StmtPrepareOk.PayloadLength, 4 + 200], shown);
            Assert.True(tracker.Idle);
            Assert.True(relay.AtBoundary);
        }
    }

    private static async Task<(List<CommandCode> Seen, byte[] Forwarded, RelayEnd End)> RunRelayAsync(byte[][] chunks)
    {
        var pipe = new Pipe();
        var destination = new MemoryStream();
        var seen = new List<CommandCode>();
        var relay = new MySqlCommandRelay(pipe.Reader, destination, 1 << 20)
        {
            OnCommand = packet =>
            {
                seen.Add((CommandCode)packet.Slice(4).FirstSpan[0]);
                return CommandVerdict.Forward;
            },
            OnLargeCommand = (_, _) => new LargeCommandStart(new CapturedCommand(), null),
            ReplyToClient = _ => ValueTask.CompletedTask,
        };
        var run = relay.RunAsync(CancellationToken.None);
        foreach (var chunk in chunks)
        {
            await pipe.Writer.WriteAsync(chunk);
        }
        await pipe.Writer.CompleteAsync();
        var end = await run;
        return (seen, destination.ToArray(), end);
    }

    [Fact]
    public async Task CommandOf16MiBPackets_IsStreamedWhole_WithTheLengthOfAllItsPackets()
    {
        var payload = new byte[MySqlLimitsForTest.MaxPacketPayload + 1000];
        payload[0] = (byte)CommandCode.Query;
        new Random(3).NextBytes(payload.AsSpan(1));
        var w = new ArrayBufferWriter<byte>();
        byte seq = 0;
        MySqlPacketWriter.WritePayload(w, ref seq, payload);
        byte[] wire = w.WrittenSpan.ToArray();
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024));
        var destination = new MemoryStream();
        var captured = new List<CapturedCommand>();
        var relay = new MySqlCommandRelay(pipe.Reader, destination, 1 << 20)
        {
            OnCommand = _ => CommandVerdict.Forward,
            OnLargeCommand = (_, _) =>
            {
                var c = new CapturedCommand();
                captured.Add(c);
                return new LargeCommandStart(c, null);
            },
            ReplyToClient = _ => ValueTask.CompletedTask,
        };
        var run = relay.RunAsync(CancellationToken.None);
        for (var offset = 0; offset < wire.Length; offset += 8192)
        {
            await pipe.Writer.WriteAsync(wire.AsMemory(offset, Math.Min(8192, wire.Length - offset))).AsTask().WaitAsync(TimeSpan.FromMinutes(2));
        }
        await pipe.Writer.CompleteAsync();

        Assert.Equal(RelayEnd.SourceClosed, await run);
        Assert.Equal(wire, destination.ToArray());
        var command = Assert.Single(captured);
        Assert.True(command.Completed);
        Assert.Equal(payload, command.Bytes.ToArray());
    }

    private static class MySqlLimitsForTest
    {
        public const int MaxPacketPayload = 0xFF_FFFF;
    }

    private sealed class CapturedCommand : IStreamedMessage
    {
        public MemoryStream Bytes { get; } = new();

        public bool Completed { get; private set; }

        public void Append(ReadOnlySpan<byte> body) => Bytes.Write(body);

        public void Complete() => Completed = true;
    }
}
