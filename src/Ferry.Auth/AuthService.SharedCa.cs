using Ferry.Auth.Backend;
using Ferry.Diagnostics;
using Ferry.Identity;

namespace Ferry.Auth;

/// <summary>With a postgres backend: the CAs come from it (sealed) and every rotation step another server makes is followed.</summary>
public sealed partial class AuthService
{
    private CancellationTokenSource? _caWatchStop;
    private Task? _caWatch;
    private CaKeyEncryptionKey? _caEncryption;
    private Func<CancellationToken, Task>? _afterSharedCaSnapshot;

    /// <summary>Opens the shared CAs; imports the CA files of <paramref name="options"/>' data directory when the backend has none yet.</summary>
    private static async Task<(CertificateAuthorityStore Store, CaKeyEncryptionKey Key)> OpenSharedAuthorityAsync(AuthServiceOptions options, IBackend backend, CancellationToken ct)
    {
        var key = BackendCaStorage.LoadKey(options.Backend.CaKeyEncryption);
        try
        {
            var store = await CertificateAuthorityStore.OpenSharedAsync(new BackendCaStorage(backend), key, options.ClusterName, options.DataDir, options.Time, ct).ConfigureAwait(false);
            return (store, key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private void StartFollowingSharedCa()
    {
        if (!Authority.IsShared)
        {
            return;
        }

        AuthLog.SharedCaOpened(_log, _caEncryption?.Source ?? "?");
        _afterSharedCaSnapshot = _options.AfterSharedCaSnapshot;
        _caWatchStop = new CancellationTokenSource();
        var stop = _caWatchStop.Token;
        _caWatch = Task.Run(() => FollowSharedCaAsync(stop));
    }

    /// <summary>Watches <c>/ca/</c>; after each change (and after each reconnect) rereads the CAs. Failures are logged, counted and retried with backoff.</summary>
    private async Task FollowSharedCaAsync(CancellationToken stop)
    {
        var delay = TimeSpan.FromMilliseconds(500);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                // The position first, then the snapshot: a change committed in between is both reread and watched,
                // never neither. (The watch's own position is taken lazily, at its first MoveNext: too late.)
                var from = await Backend.CurrentRevisionAsync(stop).ConfigureAwait(false);
                foreach (var kind in (CaKind[])[CaKind.User, CaKind.Host, CaKind.DbClient])
                {
                    await ReloadSharedCaAsync(kind, stop).ConfigureAwait(false);
                }

                if (Interlocked.Exchange(ref _afterSharedCaSnapshot, null) is { } hook)
                {
                    await hook(stop).ConfigureAwait(false);
                }

                var watch = Backend.WatchAsync(BackendKeys.CertificateAuthorities, from, stop).GetAsyncEnumerator(stop);
                await using (watch.ConfigureAwait(false))
                {

                    while (await watch.MoveNextAsync().ConfigureAwait(false))
                    {
                        var e = watch.Current;
                        if (e.Kind == BackendEventKind.Put && KindOf(e.Key) is { } kind)
                        {
                            await ReloadSharedCaAsync(kind, stop).ConfigureAwait(false);
                        }
                        delay = TimeSpan.FromMilliseconds(500);
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                FerryMetrics.BackgroundFailure("shared_ca_watch");
                AuthLog.SharedCaWatchFailed(_log, e.Message, delay.TotalSeconds);
                try
                {
                    await Task.Delay(delay, _time, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    private async Task ReloadSharedCaAsync(CaKind kind, CancellationToken stop)
    {
        if (await Authority.ReloadAsync(kind, stop).ConfigureAwait(false))
        {
            AuthLog.SharedCaChanged(_log, kind.ToName(), Authority.GetRotationPhase(kind).ToString());
        }
    }

    private static CaKind? KindOf(string key) => key[BackendKeys.CertificateAuthorities.Length..] switch
    {
        "user" => CaKind.User,
        "host" => CaKind.Host,
        "db-client" => CaKind.DbClient,
        _ => null,
    };

    private async ValueTask StopFollowingSharedCaAsync()
    {
        if (_caWatchStop is null)
        {
            return;
        }

        await _caWatchStop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _caWatch!.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _caWatchStop.Dispose();
    }
}
