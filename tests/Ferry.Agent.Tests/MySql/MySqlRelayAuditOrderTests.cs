using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Ferry.Agent.MySql;
using Ferry.Agent.Postgres;
using Ferry.Audit;
using Ferry.Protocol.MySql.Commands;

namespace Ferry.Agent.Tests.MySql;

/// <summary>
/// The same promise for MySQL (see <c>PostgresRelayAuditOrderTests</c>): a command's event is in the spool file before
/// any byte of the command reaches the database. The command relay decides about a whole command before forwarding it,
/// and outside a relay pass the spooling sink writes each event at once.
/// </summary>
public sealed class MySqlRelayAuditOrderTests
{
    [Fact]
    public async Task EveryCommandsEvent_IsInTheSpoolFile_BeforeTheCommandIsForwarded()
    {
        var dir = Directory.CreateTempSubdirectory("ferry-mysql-relay-audit-");
        try
        {
            using var spool = AuditSpool.Open(dir.FullName);
            await using var sink = new SpoolingAuditSink(spool);
            var pipe = new Pipe();
            var database = new SpoolCheckingStream(dir.FullName);
            var relay = new MySqlCommandRelay(pipe.Reader, database, 1 << 20)
            {
                OnCommand = packet =>
                {
                    var e = AuditEventKinds.DbSessionQuery.NewEvent(DateTimeOffset.UtcNow);
                    e.Query = Encoding.UTF8.GetString(packet.Slice(5).ToArray());
                    sink.Emit(e);
                    return CommandVerdict.Forward;
                },
                OnLargeCommand = (_, _) => throw new InvalidOperationException("no large command is sent"),
                ReplyToClient = _ => ValueTask.CompletedTask,
            };
            var run = relay.RunAsync(CancellationToken.None);

            // One command per read, and pipelined runs of three (one read holds several commands).
            for (var i = 0; i < 40; i++)
            {
                var w = new ArrayBufferWriter<byte>();
                for (var j = 0; j < (i % 2 == 0 ? 1 : 3); j++)
                {
                    ComQuery.Write(w, Encoding.UTF8.GetBytes($"SELECT 1 -- stmt-{i}-{j}."));
                }
                await pipe.Writer.WriteAsync(w.WrittenMemory);
                await database.WaitForAsync(w.WrittenCount);
            }

            await pipe.Writer.CompleteAsync();
            Assert.Equal(RelayEnd.SourceClosed, await run);
            Assert.Empty(database.Unaudited);
            Assert.Equal(20 * 1 + 20 * 3, database.Checked);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
