using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Ferry.Audit;

namespace Ferry.Benchmarks.Audit;

/// <summary>
/// What the PostgreSQL relay of the agent pays per statement on its own thread, as it does it: an
/// <see cref="AuditPass"/> around the scan, the event made by the agent's <see cref="AuditEventFactory"/> for the
/// session's <see cref="DbSessionSubject"/>, the statement described (text, length, SHA-256), emitted into the pass,
/// and at the end of the pass serialised, CRC'd, framed and written into the spool file (no fsync: that is the
/// background thread's, not the relay's). <see cref="QueryMessage"/> is one simple-protocol Query per pass (pgbench
/// <c>-S</c>); <see cref="ExtendedMessages"/> is Parse + Bind + Execute in one pass (pgbench <c>-M extended</c>);
/// <see cref="EventId"/> is the id alone; <see cref="QueryEventOnly"/> makes and describes the Query's event without
/// emitting it (the rest of <see cref="QueryMessage"/> is the pass, serialising, CRC and the <c>write</c>). One operation = one pass; an invocation runs <see cref="Passes"/> of them
/// (the spool is acknowledged between iterations, so the disk it takes stays bounded).
/// </summary>
[MemoryDiagnoser]
public class AuditEmitPathBenchmarks
{
    private const int MaxStatementBytes = 4096;
    private const int Passes = 10_000;
    private static readonly byte[] Sql = Encoding.UTF8.GetBytes("SELECT abalance FROM pgbench_accounts WHERE aid = $1;");
    private readonly ReadOnlySequence<byte> _sql = new(Sql);
    private string _directory = "";
    private AuditSpool _spool = null!;
    private SpoolingAuditSink _sink = null!;
    private AuditEventFactory _factory = null!;
    private DbSessionSubject _subject = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "ferry-bench-emit-" + Guid.NewGuid().ToString("N"));
        // Small segments, acked as they fill (see Ack): the benchmark's disk use stays bounded.
        _spool = AuditSpool.Open(_directory, new AuditSpoolOptions { Fsync = false, MaxSegmentBytes = 4 * 1024 * 1024 });
        _sink = new SpoolingAuditSink(_spool, TimeSpan.FromMilliseconds(5));
        _factory = new AuditEventFactory(AuditOrigin.Agent("bench", "agent-eu-1"), TimeProvider.System);
        _subject = new DbSessionSubject("alice@example.com", ["developer"], "10.1.2.3:51234", Guid.CreateVersion7().ToString(),
            "pg-main", "postgres", "bench", "bench", new Dictionary<string, string> { ["env"] = "prod" });
    }

    [Benchmark(OperationsPerInvoke = Passes)]
    public string EventId()
    {
        string id = "";
        for (int i = 0; i < Passes; i++)
        {
            id = AuditEventId.New();
        }

        return id;
    }

    [Benchmark(OperationsPerInvoke = Passes)]
    public AuditEvent QueryEventOnly()
    {
        AuditEvent e = null!;
        for (int i = 0; i < Passes; i++)
        {
            e = _factory.Create(AuditEventKinds.DbSessionQuery, _subject);
            StatementCapture.Describe(e, _sql, MaxStatementBytes);
        }

        return e;
    }

    /// <summary>The Query's event serialised as the spool frames it (<see cref="RecordFraming"/>, the session's fields from its fragments), nothing else.</summary>
    [Benchmark(OperationsPerInvoke = Passes)]
    public int SerializeQueryEvent() => SerializeRepeatedly(_queryEvent ??= MakeQueryEvent());

    /// <summary><see cref="SerializeQueryEvent"/> without the session's fragments: the serializer writes every field.</summary>
    [Benchmark(OperationsPerInvoke = Passes)]
    public int SerializeQueryEventWithoutFragments()
    {
        _plainEvent ??= MakeQueryEvent();
        _plainEvent.Fragments = null;
        return SerializeRepeatedly(_plainEvent);
    }

    private int SerializeRepeatedly(AuditEvent e)
    {
        _serializeBuffer ??= new System.Buffers.ArrayBufferWriter<byte>(1 << 20);
        _serializeJson ??= new System.Text.Json.Utf8JsonWriter(_serializeBuffer, new System.Text.Json.JsonWriterOptions { SkipValidation = true });
        int total = 0;
        for (int i = 0; i < Passes; i++)
        {
            _serializeBuffer.ResetWrittenCount();
            total += RecordFraming.WriteEvent(_serializeBuffer, _serializeJson, e, 0, out _);
        }

        return total;
    }

    private AuditEvent? _plainEvent;
    private System.Buffers.ArrayBufferWriter<byte>? _serializeBuffer;
    private System.Text.Json.Utf8JsonWriter? _serializeJson;
    private AuditEvent? _queryEvent;

    private AuditEvent MakeQueryEvent()
    {
        AuditEvent e = _factory.Create(AuditEventKinds.DbSessionQuery, _subject);
        StatementCapture.Describe(e, _sql, MaxStatementBytes);
        return e;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Passes)]
    public void QueryMessage()
    {
        for (int i = 0; i < Passes; i++)
        {
            QueryPass();
        }
    }

    [Benchmark(OperationsPerInvoke = Passes)]
    public void ExtendedMessages()
    {
        for (int i = 0; i < Passes; i++)
        {
            ExtendedPass();
        }
    }

    private void QueryPass()
    {
        AuditPass.Begin();
        try
        {
            AuditEvent e = _factory.Create(AuditEventKinds.DbSessionQuery, _subject);
            StatementCapture.Describe(e, _sql, MaxStatementBytes);
            _sink.Emit(e);
        }
        finally
        {
            AuditPass.End();
        }
    }

    private void ExtendedPass()
    {
        AuditPass.Begin();
        try
        {
            AuditEvent parse = _factory.Create(AuditEventKinds.DbSessionParse, _subject);
            parse.StatementName = "";
            StatementCapture.Describe(parse, _sql, MaxStatementBytes);
            _sink.Emit(parse);

            AuditEvent bind = _factory.Create(AuditEventKinds.DbSessionBind, _subject);
            bind.StatementName = "";
            bind.Details = AuditDetails.Portal("");
            bind.Parameters = new List<string?>(1) { "4711" };
            _sink.Emit(bind);

            AuditEvent execute = _factory.Create(AuditEventKinds.DbSessionExecute, _subject);
            execute.Details = AuditDetails.Portal("");
            _sink.Emit(execute);
        }
        finally
        {
            AuditPass.End();
        }
    }

    /// <summary>Acknowledges what was written, so the spool deletes its full segments between iterations.</summary>
    [IterationCleanup]
    public void Ack()
    {
        _sink.FlushAsync().GetAwaiter().GetResult();
        SpoolPosition at = _spool.AckedPosition;
        while (_spool.Read(at, 10_000) is { Count: > 0 } batch)
        {
            at = batch.Next;
            _spool.Ack(at);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sink.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _spool.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
