using System.Diagnostics.Metrics;
using Ferry.Diagnostics.Prometheus;

namespace Ferry.Diagnostics.Tests.Prometheus;

public sealed class PrometheusExporterTests : IDisposable
{
    // Each test has its own meter name, so tests running in parallel never see each other's instruments.
    private readonly Meter _meter = new("Test." + Guid.NewGuid().ToString("N"));
    private readonly PrometheusExporter _exporter;

    public PrometheusExporterTests() => _exporter = new PrometheusExporter(_meter.Name);

    public void Dispose()
    {
        _exporter.Dispose();
        _meter.Dispose();
    }

    [Fact]
    public void Counter_IsSummedPerLabelSet_WithHelpTypeAndSortedLabels()
    {
        var counter = _meter.CreateCounter<long>("ferry_things_total", description: "Things seen.");
        counter.Add(2, new("protocol", "postgres"), new("database", "pg1"));
        counter.Add(3, new("database", "pg1"), new("protocol", "postgres"));
        counter.Add(1, new("protocol", "mysql"), new("database", "my1"));

        Assert.Equal("""
            # HELP ferry_things_total Things seen.
            # TYPE ferry_things_total counter
            ferry_things_total{database="my1",protocol="mysql"} 1
            ferry_things_total{database="pg1",protocol="postgres"} 5

            """.ReplaceLineEndings("\n"), _exporter.Scrape());
    }

    [Fact]
    public void Counter_WithoutTotalSuffix_GetsOne_AndBadCharactersBecomeUnderscores()
    {
        var counter = _meter.CreateCounter<int>("ferry.things-seen");
        counter.Add(1);

        var text = _exporter.Scrape();

        Assert.Contains("# TYPE ferry_things_seen_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("\nferry_things_seen_total 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Counter_KeepsOneSeriesPerLabelSet_WhateverTheTagOrderAndValueTypes()
    {
        var queries = _meter.CreateCounter<long>("ferry_series_queries_total");
        queries.Add(1, new("protocol", "postgres"), new("database", "a"));
        queries.Add(1, new("protocol", "postgres"), new("database", "a"));
        queries.Add(1, new("protocol", "postgres"), new("database", "b"));
        queries.Add(1, new("database", "b"), new("protocol", "postgres"));
        queries.Add(1, new("protocol", "mysql"), new("database", "a"));
        queries.Add(1, new KeyValuePair<string, object?>("shard", 7));
        queries.Add(1, new KeyValuePair<string, object?>("shard", 7));

        var text = _exporter.Scrape();

        Assert.Contains("ferry_series_queries_total{database=\"a\",protocol=\"postgres\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("ferry_series_queries_total{database=\"b\",protocol=\"postgres\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("ferry_series_queries_total{database=\"a\",protocol=\"mysql\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("ferry_series_queries_total{shard=\"7\"} 2\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void UpDownCounter_IsAGaugeThatGoesDown()
    {
        var active = _meter.CreateUpDownCounter<long>("ferry_active");
        active.Add(1, new KeyValuePair<string, object?>("side", "proxy"));
        active.Add(1, new KeyValuePair<string, object?>("side", "proxy"));
        active.Add(-1, new KeyValuePair<string, object?>("side", "proxy"));

        var text = _exporter.Scrape();

        Assert.Contains("# TYPE ferry_active gauge\n", text, StringComparison.Ordinal);
        Assert.Contains("ferry_active{side=\"proxy\"} 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ObservableGauge_IsReadAtEachScrape()
    {
        var depth = 10L;
        _meter.CreateObservableGauge("ferry_depth_bytes", () => depth);

        Assert.Contains("\nferry_depth_bytes 10\n", _exporter.Scrape(), StringComparison.Ordinal);
        depth = 7;
        Assert.Contains("\nferry_depth_bytes 7\n", _exporter.Scrape(), StringComparison.Ordinal);
    }

    [Fact]
    public void Histogram_HasCumulativeBuckets_AdvisedBounds_SumAndCount()
    {
        var histogram = _meter.CreateHistogram("ferry_latency_seconds", "s", "Latency.", tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.25, 1] });
        histogram.Record(0.125, new KeyValuePair<string, object?>("protocol", "postgres"));
        histogram.Record(0.25, new KeyValuePair<string, object?>("protocol", "postgres"));
        histogram.Record(0.5, new KeyValuePair<string, object?>("protocol", "postgres"));
        histogram.Record(3, new KeyValuePair<string, object?>("protocol", "postgres"));

        Assert.Equal("""
            # HELP ferry_latency_seconds Latency.
            # TYPE ferry_latency_seconds histogram
            ferry_latency_seconds_bucket{protocol="postgres",le="0.25"} 2
            ferry_latency_seconds_bucket{protocol="postgres",le="1"} 3
            ferry_latency_seconds_bucket{protocol="postgres",le="+Inf"} 4
            ferry_latency_seconds_sum{protocol="postgres"} 3.875
            ferry_latency_seconds_count{protocol="postgres"} 4

            """.ReplaceLineEndings("\n"), _exporter.Scrape());
    }

    [Fact]
    public void LabelValues_AndHelp_AreEscaped()
    {
        var counter = _meter.CreateCounter<long>("ferry_escaped_total", description: "Line one\nback\\slash");
        counter.Add(1, new KeyValuePair<string, object?>("database", "a\"b\\c\nd"));

        var text = _exporter.Scrape();

        Assert.Contains("# HELP ferry_escaped_total Line one\\nback\\\\slash\n", text, StringComparison.Ordinal);
        Assert.Contains("ferry_escaped_total{database=\"a\\\"b\\\\c\\nd\"} 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void InstrumentWithoutMeasurements_StillListsItsHelpAndType()
    {
        _meter.CreateCounter<long>("ferry_idle_total", description: "Nothing yet.");

        var text = _exporter.Scrape();

        Assert.Contains("# HELP ferry_idle_total Nothing yet.\n# TYPE ferry_idle_total counter\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\nferry_idle_total ", text, StringComparison.Ordinal);
    }

    [Fact]
    public void OtherMeters_AreNotExported()
    {
        using var other = new Meter("Other." + Guid.NewGuid().ToString("N"));
        other.CreateCounter<long>("other_total").Add(1);

        Assert.DoesNotContain("other_total", _exporter.Scrape(), StringComparison.Ordinal);
    }

    [Fact]
    public void FerryMeter_PublishesTheDocumentedInstruments()
    {
        using var exporter = new PrometheusExporter(FerryMetrics.MeterName);
        FerryMetrics.SessionEstablished("postgres", "pg-test");
        FerryMetrics.Query("postgres", "pg-test");

        var text = exporter.Scrape();

        foreach (var name in new[]
        {
            "ferry_sessions_active", "ferry_sessions_total", "ferry_queries_total", "ferry_proxy_bytes_total",
            "ferry_connect_duration_seconds", "ferry_tunnels_connected", "ferry_refusals_total",
            "ferry_background_task_failures_total", "ferry_audit_events_shipped_total",
            "ferry_audit_spool_depth_bytes", "ferry_audit_shipping_lag_seconds",
        })
        {
            Assert.Contains($"# TYPE {name} ", text, StringComparison.Ordinal);
        }
        Assert.Contains("ferry_sessions_total{database=\"pg-test\",protocol=\"postgres\",result=\"established\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("ferry_queries_total{database=\"pg-test\",protocol=\"postgres\"} 1\n", text, StringComparison.Ordinal);
        FerryMetrics.SessionEnded("postgres", "pg-test");
    }
}
