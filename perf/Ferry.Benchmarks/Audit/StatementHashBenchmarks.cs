using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Ferry.Audit;

namespace Ferry.Benchmarks.Audit;

/// <summary>What the agent pays per audited statement for its <c>query_sha256</c> and text: pgbench's point select.</summary>
[MemoryDiagnoser]
public class StatementHashBenchmarks
{
    private readonly byte[] _statement = Encoding.UTF8.GetBytes("SELECT abalance FROM pgbench_accounts WHERE aid = 48213;");
    private readonly IncrementalHash _incremental = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>What <see cref="StatementCapture.Sha256Hex(ReadOnlySpan{byte})"/> did up to 2026-12-06.</summary>
    [Benchmark(Baseline = true)]
    public string OneShotHex()
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(_statement, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>What the agent runs: <see cref="StatementCapture.Sha256Hex(ReadOnlySpan{byte})"/> (a hash context per thread, reset after each use).</summary>
    [Benchmark]
    public string CaptureHex() => StatementCapture.Sha256Hex(_statement);

    [Benchmark]
    public byte[] OneShotOnly() => SHA256.HashData(_statement);

    [Benchmark]
    public string ReusedIncrementalHex()
    {
        Span<byte> hash = stackalloc byte[32];
        _incremental.AppendData(_statement);
        _incremental.GetHashAndReset(hash);
        return Convert.ToHexStringLower(hash);
    }

    [Benchmark]
    public string Text() => Encoding.UTF8.GetString(_statement);

    [Benchmark]
    public AuditEvent Describe()
    {
        var e = new AuditEvent();
        StatementCapture.Describe(e, _statement, 65536);
        return e;
    }
}
