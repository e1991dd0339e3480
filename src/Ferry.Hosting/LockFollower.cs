using System.Collections.Immutable;
using Ferry.Contracts;
using Ferry.Identity;

namespace Ferry.Hosting;

/// <summary>
/// Keeps a host's copy of the cluster's locks current by following the lock watch (every lock, then
/// <c>synced</c>, then changes), reconnecting with backoff. While the auth service is unreachable the last
/// known locks stay in force. A standalone host follows <c>/v1/locks/watch</c>; in <c>ferryd --all-in-one</c>
/// the proxy and the agent share one follower of the auth service's own watch.
/// </summary>
public sealed class LockFollower(Func<CancellationToken, IAsyncEnumerable<LockWatchEvent>> watch, Action<string> log)
{
    /// <summary>Follows <c>/v1/locks/watch</c> through <paramref name="api"/>.</summary>
    public LockFollower(AuthApiClient api, Action<string> log)
        : this((api ?? throw new ArgumentNullException(nameof(api))).WatchLocksAsync, log)
    {
    }

    private ImmutableDictionary<string, LockInfo> _locks = ImmutableDictionary<string, LockInfo>.Empty;

    /// <summary>Raised after the initial sync and after every change.</summary>
    public event Action? Changed;

    /// <summary>True once the first full list has arrived.</summary>
    public bool Synced { get; private set; }

    public IReadOnlyCollection<LockInfo> Current => _locks.Values.ToArray();

    /// <summary>A sentence naming the lock that covers this user, one of their roles or the database; null when none does.</summary>
    public string? FindLock(string user, IEnumerable<string> roles, string? database)
    {
        var now = DateTimeOffset.UtcNow;
        var list = roles as IReadOnlyCollection<string> ?? [.. roles];
        return _locks.Values.FirstOrDefault(l => l.Covers(user, list, database, now))?.Describe();
    }

    /// <summary>The lock covering this session, if any: the check the proxy and the agent both make.</summary>
    public string? FindLock(UserIdentity identity, string database)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return FindLock(identity.User, identity.Roles, database);
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var backoff = TimeSpan.FromSeconds(1);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var pending = ImmutableDictionary.CreateBuilder<string, LockInfo>();
                var synced = false;
                await foreach (var e in watch(ct).ConfigureAwait(false))
                {
                    backoff = TimeSpan.FromSeconds(1);
                    switch (e.Type)
                    {
                        case LockWatchEvent.Put when e.Lock is not null:
                            if (synced)
                            {
                                _locks = _locks.SetItem(e.Lock.Id, e.Lock);
                                Changed?.Invoke();
                            }
                            else
                            {
                                pending[e.Lock.Id] = e.Lock;
                            }
                            break;
                        case LockWatchEvent.Delete when e.Id is not null:
                            if (synced)
                            {
                                _locks = _locks.Remove(e.Id);
                                Changed?.Invoke();
                            }
                            else
                            {
                                pending.Remove(e.Id);
                            }
                            break;
                        case LockWatchEvent.Synced:
                            _locks = pending.ToImmutable();
                            synced = true;
                            Synced = true;
                            Changed?.Invoke();
                            break;
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                // Any failure of the watch (network, auth service, a backend closing) ends this pass only: the last locks stay in force.
                Ferry.Diagnostics.FerryMetrics.BackgroundFailure("lock_watch");
                log($"lock watch interrupted, reconnecting in {backoff.TotalSeconds:0}s: {e.Message}");
            }
            try
            {
                await Task.Delay(backoff, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            backoff = TimeSpan.FromSeconds(Math.Min(backoff.TotalSeconds * 2, 10));
        }
    }
}
