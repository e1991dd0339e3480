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

    /// <summary>A database connection that notes every statement it receives whose event the spool file does not hold yet.</summary>
    private sealed class SpoolCheckingStream(string spoolDirectory) : Stream
    {
        private readonly MemoryStream _received = new();
        private readonly SemaphoreSlim _wrote = new(0);

        public List<string> Unaudited { get; } = [];

        public int Checked { get; private set; }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            // Every statement in these bytes, checked against what the spool files hold right now.
            var spooled = ReadSpool();
            var text = Encoding.UTF8.GetString(buffer);
            var at = 0;
            while ((at = text.IndexOf("stmt-", at, StringComparison.Ordinal)) >= 0)
            {
                var end = text.IndexOf('.', at) + 1;
                var tag = text[at..end];
                Checked++;
                if (!spooled.Contains(tag, StringComparison.Ordinal))
                {
                    Unaudited.Add(tag);
                }
                at = end;
            }
            _received.Write(buffer);
            _wrote.Release();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public async Task WaitForAsync(int bytes)
        {
            var target = _received.Length + bytes;
            for (var i = 0; i < 1000 && _received.Length < target; i++)
            {
                await _wrote.WaitAsync(TimeSpan.FromSeconds(10));
            }
            Assert.True(_received.Length >= target, "the relay did not forward the statements");
        }

        private string ReadSpool()
        {
            var all = new StringBuilder();
            foreach (var path in Directory.GetFiles(spoolDirectory, "spool-*.log"))
            {
                using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var r = new StreamReader(f, Encoding.UTF8);
                all.Append(r.ReadToEnd());
            }
            return all.ToString();
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
