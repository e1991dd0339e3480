using System.Globalization;
using Ferry.Audit;
using Microsoft.Extensions.Logging;

namespace Ferry.Auth.Server;

/// <summary>
/// Keeps a flood of refused API connections (bad PROXY header, too many from one address) or malformed API requests
/// from flooding the audit log, in the manner of the proxy's refusal aggregation: the first refusal of a (reason,
/// source address) in a window is audited at once, up to <see cref="MaxImmediatePerWindow"/> of them per window; the
/// rest are counted, and <see cref="Flush"/> (called every window) writes one summary per key with its count (as
/// <c>api.connection</c> <c>TJ004W</c>, or the kind given). At most <see cref="MaxKeys"/> keys are tracked per window;
/// beyond, refusals count on one overflow key with source <c>*</c>. Memory and events per window are bounded
/// whatever the rate.
/// </summary>
internal sealed class ConnectionRefusalAudit(AuthService service, TimeSpan window, ILogger log, AuditEventKind? kind = null, string refused = "connections")
{
    public const int MaxKeys = 10_000;

    public const int MaxImmediatePerWindow = 100;

    public const string OverflowSource = "*";

    private const int MaxError = 512;

    private readonly Dictionary<(string Reason, string Source), (long Count, string Detail)> _counted = [];
    private readonly HashSet<(string Reason, string Source)> _reported = [];
    private readonly Lock _lock = new();
    private int _immediate;

    public TimeSpan Window => window;

    /// <summary>One refused connection from <paramref name="source"/> (an address without port).</summary>
    public void Refused(string reason, string source, string detail)
    {
        var key = (reason, AuthService.Bounded(source));
        lock (_lock)
        {
            if (!_reported.Contains(key) && !_counted.ContainsKey(key) && _reported.Count + _counted.Count >= MaxKeys)
            {
                key = (reason, OverflowSource);
            }

            if (!_reported.Contains(key) && key.Item2 != OverflowSource && _immediate < MaxImmediatePerWindow)
            {
                _reported.Add(key);
                _immediate++;
            }
            else
            {
                _counted[key] = (_counted.TryGetValue(key, out var c) ? c.Count + 1 : 1, detail);
                return;
            }
        }

        Emit(reason, key.Item2, detail, count: 1, summary: false);
    }

    /// <summary>Ends the window: one summary per key whose refusals were only counted; returns how many were written.</summary>
    public int Flush()
    {
        List<((string Reason, string Source) Key, long Count, string Detail)> due;
        lock (_lock)
        {
            due = [.. _counted.Select(p => (p.Key, p.Value.Count, p.Value.Detail))];
            _counted.Clear();
            _reported.Clear();
            _immediate = 0;
        }

        foreach (var (key, count, detail) in due)
        {
            Emit(key.Reason, key.Source, detail, count, summary: true);
            AuthLog.ConnectionRefusalsSummarised(log, key.Source, key.Reason, count, (long)window.TotalSeconds);
        }

        return due.Count;
    }

    private void Emit(string reason, string source, string detail, long count, bool summary)
    {
        var details = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["reason"] = reason,
            ["count"] = count.ToString(CultureInfo.InvariantCulture),
        };
        if (summary)
        {
            details["summary"] = "true";
            details["window"] = ((long)window.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s";
        }

        var error = summary ? $"{count} more {refused} refused ({reason}) from {source} in the last {(long)window.TotalSeconds}s; the last: {detail}" : detail;
        service.Emit(kind ?? AuditEventKinds.ApiConnectionRefused, null, success: false, error: error.Length <= MaxError ? error : error[..MaxError] + "…", clientAddr: source, details: details);
    }
}
