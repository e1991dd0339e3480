using Ferry.Diagnostics.Prometheus;

namespace Ferry.Diagnostics.Tests.Prometheus;

/// <summary>The TLS idle sweep's totals reach /metrics as counters, read from whatever the host registered.</summary>
public sealed class TlsIdleSweepMetricsTests
{
    [Fact]
    public void TheSweepsTotals_AreScrapedAsCounters_FromTheRegisteredSources()
    {
        using var exporter = new PrometheusExporter(FerryMetrics.MeterName);
        long freed = 41, failures = 3;
        FerryMetrics.TrackTlsIdleSweep(() => freed, () => failures);

        var text = exporter.Scrape();
        Assert.Contains("# TYPE ferry_tls_idle_buffers_freed_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("\nferry_tls_idle_buffers_freed_total 41\n", text, StringComparison.Ordinal);
        Assert.Contains("\nferry_tls_idle_sweep_failures_total 3\n", text, StringComparison.Ordinal);

        freed = 50;
        Assert.Contains("\nferry_tls_idle_buffers_freed_total 50\n", exporter.Scrape(), StringComparison.Ordinal);
    }
}
