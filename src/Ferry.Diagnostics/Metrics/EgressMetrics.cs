using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Ferry.Diagnostics;

/// <summary>The egress-budget and live-session instruments of the <c>Ferry</c> meter (docs/metrics.md).</summary>
public static class EgressMetrics
{
    private static readonly Counter<long> CrossedTotal = FerryMetrics.Meter.CreateCounter<long>(
        "ferry_egress_budget_crossed_total", "{budget}", "Egress budgets crossed (once per user × database × window, counted by the auth service), by database.");

    private static readonly Counter<long> RefusalsTotal = FerryMetrics.Meter.CreateCounter<long>(
        "ferry_egress_refusals_total", "{decision}", "Agent egress-budget refusals, by action (session_refused: a new session; statement_stopped: a running one) and reason (spent, auth_unreachable).");

    private static readonly Counter<long> ReportsTotal = FerryMetrics.Meter.CreateCounter<long>(
        "ferry_egress_reports_total", "{report}", "Egress usage reports an agent sent to the auth service, by result (ok, failed).");

    private static readonly Counter<long> ReportedRowsTotal = FerryMetrics.Meter.CreateCounter<long>(
        "ferry_egress_reported_rows_total", "{row}", "Rows an agent counted against egress budgets and reported to the auth service.");

    private static readonly Counter<long> ReportedBytesTotal = FerryMetrics.Meter.CreateCounter<long>(
        "ferry_egress_reported_bytes_total", "By", "Bytes an agent counted against egress budgets and reported to the auth service.");

    private static readonly ConcurrentDictionary<object, Func<double>> SyncAges = new(ReferenceEqualityComparer.Instance);

    private static readonly ObservableGauge<double> SyncAge = FerryMetrics.Meter.CreateObservableGauge(
        "ferry_egress_sync_age_seconds", ObserveSyncAge, "s", "Seconds since the agent last exchanged egress usage with the auth service (0 before any budget is in use).");

    private static readonly Counter<long> LiveReportsTotal = FerryMetrics.Meter.CreateCounter<long>(
        "ferry_live_session_reports_total", "{report}", "Live-session reports an agent sent to the auth service, by result (ok, failed).");

    public static void Crossed(string database) => CrossedTotal.Add(1, new KeyValuePair<string, object?>("database", database));

    public static void Refused(string action, string reason) =>
        RefusalsTotal.Add(1, new KeyValuePair<string, object?>("action", action), new KeyValuePair<string, object?>("reason", reason));

    public static void Report(bool ok, long rows, long bytes)
    {
        ReportsTotal.Add(1, new KeyValuePair<string, object?>("result", ok ? "ok" : "failed"));
        if (ok)
        {
            ReportedRowsTotal.Add(rows);
            ReportedBytesTotal.Add(bytes);
        }
    }

    public static void LiveReport(bool ok) => LiveReportsTotal.Add(1, new KeyValuePair<string, object?>("result", ok ? "ok" : "failed"));

    /// <summary>Reports <paramref name="age"/> as the sync age until the returned registration is disposed.</summary>
    public static IDisposable TrackSyncAge(Func<double> age)
    {
        var key = new object();
        SyncAges[key] = age;
        return new Unregister(() => SyncAges.TryRemove(key, out _));
    }

    private static double ObserveSyncAge()
    {
        double worst = 0;
        foreach (var age in SyncAges.Values)
        {
            worst = Math.Max(worst, age());
        }

        return worst;
    }

    private sealed class Unregister(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
