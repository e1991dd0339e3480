using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;

namespace Ferry.Diagnostics.Prometheus;

/// <summary>
/// Collects the measurements of the named meters with a <see cref="MeterListener"/> and renders them in
/// the Prometheus text exposition format (version 0.0.4). Counters are summed, up-down counters and gauges
/// kept as their current value, histograms bucketed by the instrument's advised boundaries. Observable
/// instruments are read when <see cref="Scrape"/> runs. Every published instrument gets its HELP and TYPE
/// lines even before its first measurement, so an operator sees every name at once.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, MetricFamily> _families = new();
    private readonly Lock _scrape = new();

    public PrometheusExporter(params string[] meterNames)
    {
        var names = new HashSet<string>(meterNames, StringComparer.Ordinal);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!names.Contains(instrument.Meter.Name))
            {
                return;
            }
            var family = _families.GetOrAdd(instrument, static i => new MetricFamily(i));
            listener.EnableMeasurementEvents(instrument, family);
        };
        _listener.MeasurementsCompleted = (instrument, _) => _families.TryRemove(instrument, out MetricFamily? _);
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((MetricFamily)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((MetricFamily)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((MetricFamily)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<float>(static (_, value, tags, state) => ((MetricFamily)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>Reads the observable instruments, then renders every family, sorted by name.</summary>
    public string Scrape()
    {
        lock (_scrape)
        {
            _listener.RecordObservableInstruments();
            var text = new StringBuilder(4096);
            foreach (var family in _families.Values.OrderBy(f => f.Name, StringComparer.Ordinal))
            {
                family.WriteTo(text);
            }
            return text.ToString();
        }
    }

    public void Dispose() => _listener.Dispose();
}
