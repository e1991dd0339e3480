using Ferry.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Ferry.Auth.Hosts;

/// <summary>
/// Reasons the auth service refuses a host (metric <c>ferry_refusals_total{side="auth",reason=…}</c>), and a small
/// bounded memory of what was last reported, so a host that repeats a refused call every few seconds yields one
/// audit event per minute and not one per call.
/// </summary>
internal sealed class HostRefusals(TimeProvider time)
{
    public const string Side = "auth";
    public const string HostNotRegistered = "host_not_registered";
    public const string DbCertDenied = "db_cert_denied";
    public const string InventoryRefused = "inventory_refused";
    public const string AuditEventsRefused = "audit_events_refused";
    public const string DatabaseClaimed = "database_claimed";

    private const int MaxRemembered = 4096;
    private static readonly TimeSpan Quiet = TimeSpan.FromMinutes(1);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, DateTimeOffset> _lastAudited = new(StringComparer.Ordinal);

    public static ILogger Log => FerryLogging.Factory.CreateLogger("Ferry.Auth.Hosts");

    /// <summary>Counts the refusal; true when it should also be audited (first time for this key in a minute).</summary>
    public bool Count(string reason, string key)
    {
        FerryMetrics.Refused(Side, reason);
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (_lastAudited.TryGetValue(reason + "\n" + key, out var last) && now - last < Quiet)
            {
                return false;
            }
            if (_lastAudited.Count >= MaxRemembered)
            {
                foreach (var stale in _lastAudited.Where(p => now - p.Value >= Quiet).Select(p => p.Key).ToList())
                {
                    _lastAudited.Remove(stale);
                }
                if (_lastAudited.Count >= MaxRemembered)
                {
                    _lastAudited.Clear();
                }
            }
            _lastAudited[reason + "\n" + key] = now;
            return true;
        }
    }
}
