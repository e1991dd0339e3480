using System.Text.Json.Serialization;

namespace Ferry.Client.Bench;

/// <summary>What <c>ferry bench --format json</c> prints.</summary>
public sealed class BenchReport
{
    public string Target { get; set; } = "";

    public string Protocol { get; set; } = "";

    /// <summary><c>simple</c>, <c>extended</c> or <c>prepared</c> (PostgreSQL); <c>text</c> (MySQL COM_QUERY).</summary>
    [JsonPropertyName("query_protocol")]
    public string QueryProtocol { get; set; } = "";

    public int Clients { get; set; }

    /// <summary>Seconds measured (after the warm-up; less than asked when interrupted).</summary>
    [JsonPropertyName("duration_s")]
    public double DurationSeconds { get; set; }

    [JsonPropertyName("warmup_s")]
    public double WarmupSeconds { get; set; }

    /// <summary>The schedule of an open-loop run (transactions per second); null for a closed loop.</summary>
    public double? Rate { get; set; }

    [JsonPropertyName("connect_each")]
    public bool ConnectEach { get; set; }

    /// <summary>Transactions that succeeded (measured, after the warm-up).</summary>
    public long Transactions { get; set; }

    public double Tps { get; set; }

    [JsonPropertyName("error_count")]
    public long ErrorCount { get; set; }

    public List<BenchErrorEntry> Errors { get; set; } = [];

    /// <summary>Latency of a transaction in milliseconds (from the intended send time with --rate).</summary>
    [JsonPropertyName("latency_ms")]
    public BenchPercentiles Latency { get; set; } = new();

    /// <summary>Session opening (TCP, TLS, login) in milliseconds.</summary>
    [JsonPropertyName("connect_ms")]
    public BenchPercentiles Connect { get; set; } = new();

    /// <summary>Stopped by Ctrl-C before the duration ended.</summary>
    public bool Interrupted { get; set; }
}
