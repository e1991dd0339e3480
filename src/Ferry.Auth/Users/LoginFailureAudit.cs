namespace Ferry.Auth.Users;

/// <summary>
/// Keeps failed and refused logins from flooding the audit log: the first of each (user, source, reason) in a
/// window is written at once (up to <see cref="LoginThrottleOptions.MaxAuditEventsPerWindow"/> per window), the
/// rest are counted and written as one summary per (user, source, reason) when the window closes; past
/// <see cref="LoginThrottleOptions.MaxAuditSummariesPerWindow"/> distinct keys, one overflow summary counts the rest.
/// Memory is bounded by those two limits whatever the attempt rate.
/// </summary>
internal sealed class LoginFailureAudit(LoginThrottleOptions options)
{
    private readonly Dictionary<(string User, string Source, string Reason), long> _suppressed = [];
    private readonly Lock _lock = new();
    private int _written;
    private long _overflow;

    /// <summary>One failed/refused login, already bounded to the lengths events may hold. True: write its event now.</summary>
    public bool Record(string user, string source, string reason)
    {
        lock (_lock)
        {
            var key = (user, source, reason);
            if (_suppressed.TryGetValue(key, out var count))
            {
                _suppressed[key] = count + 1;
                return false;
            }

            if (_suppressed.Count >= options.MaxAuditSummariesPerWindow)
            {
                _overflow++;
                return false;
            }

            if (_written < options.MaxAuditEventsPerWindow)
            {
                _written++;
                _suppressed[key] = 0;
                return true;
            }

            _suppressed[key] = 1;
            return false;
        }
    }

    /// <summary>Ends the window: the summaries to write (count of attempts not written one by one), and the overflow count.</summary>
    public (List<Summary> Summaries, long Overflow) Flush()
    {
        lock (_lock)
        {
            var summaries = _suppressed.Where(p => p.Value > 0).Select(p => new Summary(p.Key.User, p.Key.Source, p.Key.Reason, p.Value)).ToList();
            var overflow = _overflow;
            _suppressed.Clear();
            _written = 0;
            _overflow = 0;
            return (summaries, overflow);
        }
    }

    public readonly record struct Summary(string User, string Source, string Reason, long Count);
}
