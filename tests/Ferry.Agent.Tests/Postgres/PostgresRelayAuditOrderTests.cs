using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Ferry.Agent.Postgres;
using Ferry.Audit;
using Ferry.Protocol.Postgres;
using Ferry.Protocol.Postgres.Frontend;

namespace Ferry.Agent.Tests.Postgres;

/// <summary>
/// The audit promise a <c>kill -9</c> must not break: a statement's event is in the spool file (a <c>write()</c> that
/// returned, so it survives the process) before any byte of the statement reaches the database. The database side of
/// the relay is a stream that, on every write, reads the spool file through its own handle, as a restarted process
/// would after the agent was killed at that moment.
/// </summary>
public sealed class PostgresRelayAuditOrderTests
{
    private static byte[] QueryBytes(string sql)
    {
        var w = new ArrayBufferWriter<byte>();
        Query.Write(w, sql);
        return w.WrittenSpan.ToArray();
    }

    private static AuditEvent QueryEvent(PostgresFrame frame)
    {
        var e = AuditEventKinds.DbSessionQuery.NewEvent(DateTimeOffset.UtcNow);
        e.Query = Encoding.UTF8.GetString(Query.Read(frame).Text);
        return e;
    }

    [Fact]
    public async Task EveryStatementsEvent_IsInTheSpoolFile_BeforeTheStatementIsForwarded()
    {
        var dir = Directory.CreateTempSubdirectory("ferry-relay-audit-");
        try
        {
            using var spool = AuditSpool.Open(dir.FullName);
            await using var sink = new SpoolingAuditSink(spool);
            var pipe = new Pipe();
            var database = new SpoolCheckingStream(dir.FullName);
            var relay = new PostgresRelay(pipe.Reader, database, 1 << 20)
            {
                Inspect = static code => code == (byte)FrontendMessageCode.Query,
                OnMessage = frame => sink.Emit(QueryEvent(frame)),
            };
            var run = relay.RunAsync(CancellationToken.None);

            // One statement per read, and pipelined runs of three (one relay pass holds several events).
            for (var i = 0; i < 40; i++)
            {
                var batch = i % 2 == 0 ? 1 : 3;
                var bytes = Enumerable.Range(0, batch).SelectMany(j => QueryBytes($"SELECT 1 -- stmt-{i}-{j}.")).ToArray();
                await pipe.Writer.WriteAsync(bytes);
                await database.WaitForAsync(bytes.Length);
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
