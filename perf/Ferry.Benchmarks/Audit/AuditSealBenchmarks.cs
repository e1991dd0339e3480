using BenchmarkDotNet.Attributes;
using Ferry.Audit;
using ZstdSharp;

namespace Ferry.Benchmarks.Audit;

/// <summary>
/// Sealing one full active segment (64 MiB of framed query events, as the store writes them) at the store's default
/// zstd level: as the store did up to 2026-12-04 (the segment read whole, compressed into a second whole buffer,
/// written) against the streamed seal and the mapped one (<see cref="StoreFiles.CompressAtomic"/>). Allocated bytes show what each
/// seal costs the auth service's memory; the ratio is printed once.
/// </summary>
[MemoryDiagnoser]
public class AuditSealBenchmarks
{
    private string _dir = "";
    private string _log = "";

    /// <summary>
    /// The segment's events: <c>bench</c> = <see cref="AuditBenchEvents"/> (50 users, 100 sessions, one statement);
    /// <c>sessions</c> = what an agent ships under pgbench -S -c 8: a query event and its result event per statement,
    /// from 8 sessions of one user, a different key in every statement.
    /// </summary>
    [Params("bench", "sessions")]
    public string Data { get; set; } = "bench";

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "ferry-bench-seal-" + Guid.NewGuid().ToString("N"));
        using (var store = AuditStore.Open(_dir, new AuditStoreOptions { Fsync = false, MaxSegmentBytes = long.MaxValue }))
        {
            _log = Directory.GetFiles(_dir, "seg-*.log").Single();
            while (new FileInfo(_log).Length < 64L * 1024 * 1024)
            {
                store.Append(Data == "sessions" ? SessionEvents(1000) : AuditBenchEvents.Make(1000));
            }
        }

        Streamed();
        Console.WriteLine($"// {new FileInfo(_log).Length} -> {new FileInfo(_log + ".zst").Length} bytes");
    }

    [Benchmark(Baseline = true)]
    public int WholeInMemory()
    {
        byte[] raw = File.ReadAllBytes(_log);
        using var compressor = new Compressor(3);
        byte[] sealedBytes = compressor.Wrap(raw).ToArray();
        StoreFiles.WriteAtomic(_log + ".zst", sealedBytes, fsync: false);
        return sealedBytes.Length;
    }

    [Benchmark]
    public void Streamed() => StoreFiles.CompressAtomic(_log, _log + ".zst", 3, fsync: false, streamed: true);

    /// <summary>What the store runs since 2026-12-06: the segment and the output file mapped, zstd in one call.</summary>
    [Benchmark]
    [Arguments(1)]
    [Arguments(3)]
    public void Mapped(int level) => StoreFiles.CompressAtomic(_log, _log + ".zst", level, fsync: false);

    /// <summary>The streamed seal at other levels (negative: zstd's fast modes); the sizes are printed once per level.</summary>
    [Benchmark]
    [Arguments(1)]
    [Arguments(-1)]
    [Arguments(-3)]
    [Arguments(-7)]
    public long StreamedAtLevel(int level)
    {
        StoreFiles.CompressAtomic(_log, _log + ".zst", level, fsync: false, streamed: true);
        long size = new FileInfo(_log + ".zst").Length;
        if (_printed.Add(level))
        {
            Console.WriteLine($"// level {level}: {new FileInfo(_log).Length} -> {size} bytes");
        }

        return size;
    }

    private readonly HashSet<int> _printed = [];

    private readonly Random _random = new(1);
    private readonly AuditEventFactory _factory = new(AuditOrigin.Agent("bench", "agent-eu-1"), TimeProvider.System);
    private DbSessionSubject[]? _sessions;

    private List<AuditEvent> SessionEvents(int statements)
    {
        _sessions ??= [.. Enumerable.Range(0, 8).Select(i => new DbSessionSubject("bench", ["bench"], $"127.0.0.1:5{i}321",
            Guid.CreateVersion7().ToString(), "pg1", "postgres", "bench", "bench", new Dictionary<string, string> { ["env"] = "bench" }))];
        var events = new List<AuditEvent>(2 * statements);
        for (int i = 0; i < statements; i++)
        {
            DbSessionSubject session = _sessions[_random.Next(_sessions.Length)];
            AuditEvent query = _factory.Create(AuditEventKinds.DbSessionQuery, session);
            StatementCapture.Describe(query, System.Text.Encoding.UTF8.GetBytes(
                $"SELECT abalance FROM pgbench_accounts WHERE aid = {_random.Next(1_000_000)};"), 4096);
            AuditEvent result = _factory.Create(AuditEventKinds.DbSessionResult, session);
            result.Rows = 1;
            result.BytesOut = 70;
            result.DurationUs = _random.Next(300);
            result.Details = new Dictionary<string, string> { ["statement"] = query.Id, ["tag"] = "SELECT 1" };
            events.Add(query);
            events.Add(result);
        }

        return events;
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);
}
