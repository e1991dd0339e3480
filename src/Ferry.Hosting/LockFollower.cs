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
    private ImmutableDictionary<string, string> _hosts = ImmutableDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal);
    private ImmutableDictionary<string, ImmutableArray<string>> _bindings = ImmutableDictionary<string, ImmutableArray<string>>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary>Raised after the initial sync and after every change.</summary>
    public event Action? Changed;

    /// <summary>Raised with the host id when a registered host is removed (<c>ferryd admin hosts rm</c>), or is missing from a new sync.</summary>
    public event Action<string>? HostRemoved;

    /// <summary>True once a sync included the registered hosts and database bindings (the auth service sends them).</summary>
    public bool RoutingSynced { get; private set; }

    /// <summary>Whether <paramref name="hostId"/> is registered with <paramref name="role"/>; true until routing is synced.</summary>
    public bool IsHostRegistered(string hostId, string role) =>
        !RoutingSynced || (_hosts.TryGetValue(hostId, out var r) && r == role);

    /// <summary>The agent <paramref name="database"/> is bound to; "" when none; null when routing is not synced (route by heartbeat).</summary>
    public string? BoundAgent(string database) =>
        !RoutingSynced ? null : _bindings.TryGetValue(database, out var agents) ? agents[0] : "";

    /// <summary>
    /// The agents serving <paramref name="database"/>: the one it is bound to, then those it is shared with (agent HA); empty
    /// when none; null when routing is not synced (route by heartbeat).
    /// </summary>
    public IReadOnlyList<string>? BoundAgents(string database) =>
        !RoutingSynced ? null : _bindings.TryGetValue(database, out var agents) ? agents : [];

    private static ImmutableArray<string> Agents(LockWatchEvent e) => [e.HostId!, .. e.SharedWith ?? []];

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

    /// <summary>
    /// The lock covering this session, if any: the check the proxy and the agent both make. Besides the user, the
    /// roles and the database, a lock of kind <c>access_request</c> covers every certificate that names the request
    /// (<see cref="UserIdentity.AccessRequestIds"/>): a dropped or locked grant ends the sessions that rely on it.
    /// </summary>
    public string? FindLock(UserIdentity identity, string database)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return FindLock(identity.User, identity.Roles, database) ?? FindAccessRequestLock(_locks.Values, identity.AccessRequestIds, DateTimeOffset.UtcNow);
    }

    /// <summary>
    /// The message for a session named by an unexpired lock of kind <c>session</c> (<c>ferry sessions end</c>); null when
    /// no lock names <paramref name="sessionId"/>.
    /// </summary>
    public string? FindSessionLock(string sessionId)
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var l in _locks.Values)
        {
            if (l.Kind == LockTargetKind.Session && (l.ExpiresAt is not { } end || end > now) && string.Equals(l.Target, sessionId, StringComparison.Ordinal))
            {
                return "session ended by an administrator" + (string.IsNullOrEmpty(l.Message) ? "" : ": " + l.Message);
            }
        }

        return null;
    }

    /// <summary>
    /// A sentence naming the first unexpired lock of kind <c>access_request</c> whose target is one of
    /// <paramref name="accessRequestIds"/> (ids compare exactly); null when none.
    /// </summary>
    public static string? FindAccessRequestLock(IEnumerable<LockInfo> locks, IReadOnlyList<string> accessRequestIds, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(locks);
        ArgumentNullException.ThrowIfNull(accessRequestIds);
        if (accessRequestIds.Count == 0)
        {
            return null;
        }

        foreach (var l in locks)
        {
            if (l.Kind == LockTargetKind.AccessRequest && (l.ExpiresAt is not { } end || end > now) && accessRequestIds.Contains(l.Target, StringComparer.Ordinal))
            {
                var text = $"access request {l.Target} has ended";
                if (!string.IsNullOrEmpty(l.Message))
                {
                    text += ": " + l.Message;
                }

                return text + "; ask again with `ferry request create`, and run `ferry login` for your own roles";
            }
        }

        return null;
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var backoff = TimeSpan.FromSeconds(1);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var pending = ImmutableDictionary.CreateBuilder<string, LockInfo>();
                var pendingHosts = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
                var pendingBindings = ImmutableDictionary.CreateBuilder<string, ImmutableArray<string>>(StringComparer.Ordinal);
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
                        case LockWatchEvent.HostPut when e.HostId is not null:
                            if (synced)
                            {
                                _hosts = _hosts.SetItem(e.HostId, e.Role ?? "");
                            }
                            else
                            {
                                pendingHosts[e.HostId] = e.Role ?? "";
                            }
                            break;
                        case LockWatchEvent.HostDelete when e.HostId is not null:
                            if (synced)
                            {
                                _hosts = _hosts.Remove(e.HostId);
                                _bindings = _bindings.RemoveRange([.. _bindings.Where(b => b.Value.Length == 1 && b.Value[0] == e.HostId).Select(b => b.Key)]);
                                _bindings = _bindings.SetItems(_bindings.Where(b => b.Value.Contains(e.HostId))
                                    .Select(b => KeyValuePair.Create(b.Key, b.Value.Remove(e.HostId))));
                                HostRemoved?.Invoke(e.HostId);
                            }
                            else
                            {
                                pendingHosts.Remove(e.HostId);
                            }
                            break;
                        case LockWatchEvent.BindingPut when e.Database is not null && e.HostId is not null:
                            if (synced)
                            {
                                _bindings = _bindings.SetItem(e.Database, Agents(e));
                            }
                            else
                            {
                                pendingBindings[e.Database] = Agents(e);
                            }
                            break;
                        case LockWatchEvent.BindingDelete when e.Database is not null:
                            if (synced)
                            {
                                _bindings = _bindings.Remove(e.Database);
                            }
                            else
                            {
                                pendingBindings.Remove(e.Database);
                            }
                            break;
                        case LockWatchEvent.Synced:
                            _locks = pending.ToImmutable();
                            if (e.Routing)
                            {
                                var previous = RoutingSynced ? _hosts : ImmutableDictionary<string, string>.Empty;
                                _hosts = pendingHosts.ToImmutable();
                                _bindings = pendingBindings.ToImmutable();
                                RoutingSynced = true;
                                foreach (var gone in previous.Keys.Where(h => !_hosts.ContainsKey(h)))
                                {
                                    HostRemoved?.Invoke(gone);
                                }
                            }
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
