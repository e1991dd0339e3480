using System.Text;

namespace Ferry.Diagnostics.Prometheus;

/// <summary>The value (or histogram buckets, sum and count) of one label set.</summary>
internal sealed class MetricSeries(string labels, int buckets)
{
    private readonly Lock _lock = new();
    // Per-bucket counts (not cumulative); the last slot counts observations above every bound (+Inf).
    private readonly long[] _counts = new long[buckets + 1];
    private double _value;
    private long _count;

    /// <summary>The rendered label set, <c>a="x",b="y"</c> sorted by name, or empty.</summary>
    public string Labels { get; } = labels;

    public void Add(double value)
    {
        lock (_lock)
        {
            _value += value;
        }
    }

    public void Set(double value)
    {
        lock (_lock)
        {
            _value = value;
        }
    }

    public void Observe(double value, double[] bounds)
    {
        var slot = Array.BinarySearch(bounds, value);
        // An exact match belongs to that bucket (le is inclusive); otherwise the first larger bound.
        slot = slot >= 0 ? slot : ~slot;
        lock (_lock)
        {
            _counts[slot]++;
            _count++;
            _value += value;
        }
    }

    public void WriteValue(StringBuilder text, string name)
    {
        double value;
        lock (_lock)
        {
            value = _value;
        }
        PrometheusText.Sample(text, name, "", Labels, null, value);
    }

    public void WriteHistogram(StringBuilder text, string name, double[] bounds)
    {
        long[] counts;
        double sum;
        long count;
        lock (_lock)
        {
            counts = (long[])_counts.Clone();
            sum = _value;
            count = _count;
        }
        long cumulative = 0;
        for (var i = 0; i < bounds.Length; i++)
        {
            cumulative += counts[i];
            PrometheusText.Sample(text, name, "_bucket", Labels, PrometheusText.Number(bounds[i]), cumulative);
        }
        PrometheusText.Sample(text, name, "_bucket", Labels, "+Inf", count);
        PrometheusText.Sample(text, name, "_sum", Labels, null, sum);
        PrometheusText.Sample(text, name, "_count", Labels, null, count);
    }
}
