using System.Collections.Immutable;
using Ferry.Contracts;

namespace Ferry.Hosting;

/// <summary>
/// Keeps a standalone host's copy of the cluster's locks current by following <c>/v1/locks/watch</c>,
/// reconnecting with backoff. While the auth service is unreachable the last known locks stay in force.
/// </summary>
public sealed class LockFollower(AuthApiClient api, Action<string> log)
{
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

    public async Task RunAsync(CancellationToken ct)
    {
        var backoff = TimeSpan.FromSeconds(1);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var pending = ImmutableDictionary.CreateBuilder<string, LockInfo>();
                var synced = false;
                await foreach (var e in api.WatchLocksAsync(ct).ConfigureAwait(false))
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
            catch (Exception e) when (e is AuthApiException or IOException or System.Text.Json.JsonException or HttpRequestException)
            {
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
