using System.Globalization;
using Ferry.Audit;

namespace Ferry.Web;

/// <summary>
/// Audits refused web requests without letting a flood fill the log: at most one <c>web.request</c> event per reason
/// and source address a minute, whose count says how many refusals it stands for. Bounded in sources.
/// </summary>
internal sealed class RefusalAudit(IWebAuthority authority)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private const int MaxSources = 4096;
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Reason, string Source), (DateTimeOffset Emitted, long Count)> _state = [];

    public void Record(string reason, string source, string user, string error)
    {
        var now = authority.Time.GetUtcNow();
        long count;
        lock (_gate)
        {
            var key = (reason, source);
            if (_state.TryGetValue(key, out var s) && now - s.Emitted < Window)
            {
                _state[key] = (s.Emitted, s.Count + 1);
                return;
            }

            count = s.Count + 1;
            if (_state.Count >= MaxSources)
            {
                _state.Clear();
            }

            _state[key] = (now, 0);
        }

        authority.Audit(AuditEventKinds.WebRequestRefused, user, false, error, source,
            new() { ["reason"] = reason, ["count"] = count.ToString(CultureInfo.InvariantCulture), ["window"] = "1m" }, null);
    }
}
