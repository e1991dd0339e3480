using System.Text.Json.Serialization;

namespace Ferry.Client.Bench;

/// <summary>Percentiles of a histogram of microseconds, in milliseconds.</summary>
public sealed class BenchPercentiles
{
    public long Count { get; set; }

    public double Min { get; set; }

    public double Mean { get; set; }

    public double P50 { get; set; }

    public double P90 { get; set; }

    public double P99 { get; set; }

    [JsonPropertyName("p99_9")]
    public double P999 { get; set; }

    public double Max { get; set; }

    public static BenchPercentiles From(LatencyHistogram h)
    {
        ArgumentNullException.ThrowIfNull(h);
        static double Ms(long us) => Math.Round(us / 1000.0, 3);
        return new BenchPercentiles
        {
            Count = h.Count,
            Min = h.Count == 0 ? 0 : Ms(h.Min),
            Mean = Math.Round(h.Mean / 1000.0, 3),
            P50 = Ms(h.ValueAtPercentile(50)),
            P90 = Ms(h.ValueAtPercentile(90)),
            P99 = Ms(h.ValueAtPercentile(99)),
            P999 = Ms(h.ValueAtPercentile(99.9)),
            Max = Ms(h.Max),
        };
    }
}
