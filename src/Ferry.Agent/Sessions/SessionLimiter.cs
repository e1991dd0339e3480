namespace Ferry.Agent;

/// <summary>
/// Counts the sessions each user holds on each database of this agent, so a role's <c>max_sessions</c> can refuse
/// one more: one user cannot take every connection slot of a database. A slot is taken when a session passes its
/// access check and given back when the session ends; only (user, database) pairs with a session are kept.
/// </summary>
public sealed class SessionLimiter
{
    private readonly Dictionary<(string User, string Database), int> _counts = [];
    private readonly Lock _lock = new();

    /// <summary>Sessions <paramref name="user"/> holds on <paramref name="database"/> now.</summary>
    public int CountOf(string user, string database)
    {
        lock (_lock)
        {
            return _counts.GetValueOrDefault((user, database));
        }
    }

    /// <summary>
    /// Takes a slot unless <paramref name="limit"/> (null: none) slots are already held; the slot is given back by
    /// disposing the result. Null when refused, with <paramref name="held"/> the sessions held.
    /// </summary>
    public IDisposable? TryAcquire(string user, string database, int? limit, out int held)
    {
        var key = (user, database);
        lock (_lock)
        {
            held = _counts.GetValueOrDefault(key);
            if (held >= limit)
            {
                return null;
            }

            _counts[key] = held + 1;
        }

        return new Slot(this, key);
    }

    private void Release((string User, string Database) key)
    {
        lock (_lock)
        {
            if (_counts.TryGetValue(key, out int n) && n > 1)
            {
                _counts[key] = n - 1;
            }
            else
            {
                _counts.Remove(key);
            }
        }
    }

    private sealed class Slot(SessionLimiter owner, (string User, string Database) key) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Release(key);
            }
        }
    }
}
