using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;

namespace Ferry.Diagnostics.Prometheus;

/// <summary>One instrument's series (one per label set) and how it is written out.</summary>
internal sealed class MetricFamily
{
    /// <summary>Prometheus' default histogram buckets, for a histogram without advice.</summary>
    private static readonly double[] DefaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly ConcurrentDictionary<string, MetricSeries> _series = new(StringComparer.Ordinal);

    // The same series found by the measurement's tags, without rendering them (see TagKey).
    private readonly ConcurrentDictionary<TagKey, MetricSeries> _byTags = new();
    private readonly double[] _buckets;

    public MetricFamily(Instrument instrument)
    {
        Kind = KindOf(instrument);
        Cumulative = instrument.IsObservable || instrument is Gauge<long> or Gauge<int> or Gauge<double> or Gauge<float>;
        Name = PrometheusText.MetricName(instrument.Name, Kind == MetricKind.Counter);
        Help = string.IsNullOrEmpty(instrument.Description) ? instrument.Name : instrument.Description;
        _buckets = Kind == MetricKind.Histogram ? BucketsOf(instrument) : [];
    }

    public string Name { get; }

    public string Help { get; }

    public MetricKind Kind { get; }

    /// <summary>True when each measurement is the whole current value (observable instruments, gauges), not an increment.</summary>
    public bool Cumulative { get; }

    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var cacheable = TagKey.TryCreate(tags, out var key);
        if (!cacheable || !_byTags.TryGetValue(key, out var series))
        {
            series = _series.GetOrAdd(PrometheusText.Labels(tags), static (l, buckets) => new MetricSeries(l, buckets.Length), _buckets);
            if (cacheable)
            {
                _byTags.TryAdd(key, series);
            }
        }
        if (Kind == MetricKind.Histogram)
        {
            series.Observe(value, _buckets);
        }
        else if (Cumulative)
        {
            series.Set(value);
        }
        else
        {
            series.Add(value);
        }
    }

    public void WriteTo(StringBuilder text)
    {
        text.Append("# HELP ").Append(Name).Append(' ').Append(PrometheusText.EscapeHelp(Help)).Append('\n');
        text.Append("# TYPE ").Append(Name).Append(' ').Append(Kind switch
        {
            MetricKind.Counter => "counter",
            MetricKind.Histogram => "histogram",
            _ => "gauge",
        }).Append('\n');
        foreach (var series in _series.Values.OrderBy(s => s.Labels, StringComparer.Ordinal))
        {
            if (Kind == MetricKind.Histogram)
            {
                series.WriteHistogram(text, Name, _buckets);
            }
            else
            {
                series.WriteValue(text, Name);
            }
        }
    }

    private static MetricKind KindOf(Instrument instrument) => instrument switch
    {
        Counter<long> or Counter<int> or Counter<double> or Counter<float> => MetricKind.Counter,
        ObservableCounter<long> or ObservableCounter<int> or ObservableCounter<double> or ObservableCounter<float> => MetricKind.Counter,
        Histogram<long> or Histogram<int> or Histogram<double> or Histogram<float> => MetricKind.Histogram,
        _ => MetricKind.Gauge,
    };

    private static double[] BucketsOf(Instrument instrument)
    {
        IEnumerable<double>? advised = instrument switch
        {
            Histogram<double> h => h.Advice?.HistogramBucketBoundaries,
            Histogram<float> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b),
            Histogram<long> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b),
            Histogram<int> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b),
            _ => null,
        };
        var buckets = (advised ?? DefaultBuckets).Where(double.IsFinite).Distinct().Order().ToArray();
        return buckets.Length > 0 ? buckets : DefaultBuckets;
    }
}

internal enum MetricKind
{
    Counter,
    Gauge,
    Histogram,
}
