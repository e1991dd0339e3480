namespace Ferry.Identity;

/// <summary>The CAs kept in a backend several auth servers share (<see cref="ICaSharedStorage"/>), private keys sealed.</summary>
public sealed partial class CertificateAuthorityStore
{
    private readonly SemaphoreSlim _sharedLock = new(1, 1);
    private readonly long[] _revisions = new long[3];
    private ICaSharedStorage? _shared;
    private CaKeyEncryptionKey? _encryption;

    /// <summary>Whether the CAs live in a shared backend rather than in <see cref="DataDirectory"/>.</summary>
    public bool IsShared => _shared is not null;

    /// <summary>
    /// Loads the three CAs from <paramref name="storage"/>. A CA that does not exist there yet is created by
    /// compare-and-swap, so two servers starting at once end with one CA: the one whose write lost loads the winner's.
    /// When <paramref name="importFromDataDirectory"/> holds CA files (a server that kept its CAs in files before),
    /// those keys are stored instead of new ones. The store does not own <paramref name="encryption"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">A stored key does not decrypt with <paramref name="encryption"/> (nothing is created then), or is malformed.</exception>
    public static async Task<CertificateAuthorityStore> OpenSharedAsync(ICaSharedStorage storage, CaKeyEncryptionKey encryption, string clusterName, string? importFromDataDirectory = null, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(encryption);
        ArgumentException.ThrowIfNullOrEmpty(clusterName);
        var store = new CertificateAuthorityStore(importFromDataDirectory ?? "", clusterName, timeProvider ?? TimeProvider.System)
        {
            _shared = storage,
            _encryption = encryption,
        };
        try
        {
            foreach (var kind in (CaKind[])[CaKind.User, CaKind.Host, CaKind.DbClient])
            {
                await store.LoadOrCreateSharedAsync(kind, importFromDataDirectory, cancellationToken).ConfigureAwait(false);
            }

            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Rereads a shared CA and adopts a ring another server changed (rotation). Returns whether it changed.
    /// A no-op for file-backed CAs.
    /// </summary>
    public async Task<bool> ReloadAsync(CaKind kind, CancellationToken cancellationToken = default)
    {
        if (_shared is null)
        {
            return false;
        }

        await _sharedLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await ReloadUnsynchronizedAsync(kind, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sharedLock.Release();
        }
    }

    /// <summary>Phase <c>add</c> (see <see cref="AddKey"/>), in the shared backend when the CAs live there.</summary>
    public async Task<CaKeyInfo> AddKeyAsync(CaKind kind, CancellationToken cancellationToken = default)
    {
        if (_shared is null)
        {
            return AddKey(kind);
        }

        return await RotateSharedAsync<CaKeyInfo>(kind, ring =>
        {
            RequirePhase(kind, ring, CaRotationPhase.Standby);
            var added = CaKeyFactory.Create(kind, ClusterName, CaKeyStatus.Pending, _time.GetUtcNow());
            return ([.. ring.Keys, added], added.ToInfo());
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Phase <c>switch</c> (see <see cref="SwitchSigningKey"/>), in the shared backend when the CAs live there.</summary>
    public async Task<CaKeyInfo> SwitchSigningKeyAsync(CaKind kind, CancellationToken cancellationToken = default)
    {
        if (_shared is null)
        {
            return SwitchSigningKey(kind);
        }

        return await RotateSharedAsync<CaKeyInfo>(kind, ring =>
        {
            RequirePhase(kind, ring, CaRotationPhase.Added);
            var keys = Switched(ring);
            return (keys, keys.Single(k => k.Status == CaKeyStatus.Signing).ToInfo());
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Phase <c>retire</c> (see <see cref="RetireOldKeys"/>), in the shared backend when the CAs live there.</summary>
    public async Task RetireOldKeysAsync(CaKind kind, CancellationToken cancellationToken = default)
    {
        if (_shared is null)
        {
            RetireOldKeys(kind);
            return;
        }

        await RotateSharedAsync<CaKeyInfo?>(kind, ring =>
        {
            RequirePhase(kind, ring, CaRotationPhase.Switched);
            return ([.. ring.Keys.Where(k => k.Status != CaKeyStatus.Previous)], (CaKeyInfo?)null);
        }, cancellationToken).ConfigureAwait(false);
    }

    private async Task<T> RotateSharedAsync<T>(CaKind kind, Func<CaKeyRing, (CaKeyEntry[] Keys, T Result)> step, CancellationToken cancellationToken)
    {
        await _sharedLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                await ReloadUnsynchronizedAsync(kind, cancellationToken).ConfigureAwait(false);
                var ring = Ring(kind);
                var (keys, result) = step(ring);
                var created = keys.Where(k => !ring.Keys.Any(o => ReferenceEquals(o.PrivateKey, k.PrivateKey))).ToList();
                var value = SharedCaRing.Encode(ClusterName, kind, keys, _encryption!);
                var revision = await _shared!.CompareAndSwapAsync(kind, Volatile.Read(ref _revisions[(int)kind]), value, cancellationToken).ConfigureAwait(false);
                if (revision is { } written)
                {
                    Adopt(kind, keys, created, written);
                    return result;
                }

                foreach (var key in created)
                {
                    key.PrivateKey.Dispose();
                }

                if (attempt == 2)
                {
                    throw new InvalidOperationException($"the {kind.ToName()} CA kept changing in the backend while this rotation step ran (another auth server rotating it?): check its phase and try again");
                }
            }
        }
        finally
        {
            _sharedLock.Release();
        }
    }

    private async Task<bool> ReloadUnsynchronizedAsync(CaKind kind, CancellationToken cancellationToken)
    {
        var stored = await _shared!.GetAsync(kind, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"the {kind.ToName()} CA is missing from the backend: restore the backend from backup");
        if (stored.Revision == Volatile.Read(ref _revisions[(int)kind]))
        {
            return false;
        }

        var (keys, opened) = SharedCaRing.Decode(ClusterName, kind, stored.Value, _encryption!, Ring(kind).Keys);
        Adopt(kind, keys, opened, stored.Revision);
        return true;
    }

    private async Task LoadOrCreateSharedAsync(CaKind kind, string? importFromDataDirectory, CancellationToken cancellationToken)
    {
        var stored = await _shared!.GetAsync(kind, cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            var keys = ImportOrCreate(kind, importFromDataDirectory);
            var revision = await _shared.CompareAndSwapAsync(kind, 0, SharedCaRing.Encode(ClusterName, kind, keys, _encryption!), cancellationToken).ConfigureAwait(false);
            if (revision is { } written)
            {
                Adopt(kind, keys, keys, written);
                return;
            }

            foreach (var key in keys)
            {
                key.PrivateKey.Dispose(); // another server created the CA first: use that one
            }

            stored = await _shared.GetAsync(kind, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"the {kind.ToName()} CA disappeared from the backend while starting: restore the backend from backup");
        }

        var (loaded, opened) = SharedCaRing.Decode(ClusterName, kind, stored.Value.Value, _encryption!, []);
        Adopt(kind, loaded, opened, stored.Value.Revision);
    }

    private CaKeyEntry[] ImportOrCreate(CaKind kind, string? dataDirectory)
    {
        if (dataDirectory is not null)
        {
            var dir = CaFiles.KindDirectory(dataDirectory, kind);
            var statePath = CaFiles.StatePath(dir);
            if (File.Exists(statePath))
            {
                var state = CaFiles.ParseState(statePath, CaFiles.ReadPrivate(statePath));
                var keys = new List<CaKeyEntry>();
                try
                {
                    foreach (var (status, id) in state)
                    {
                        keys.Add(CaKeyFactory.Load(dir, id, status));
                    }
                }
                catch
                {
                    foreach (var key in keys)
                    {
                        key.PrivateKey.Dispose();
                    }

                    throw;
                }

                return [.. keys];
            }
        }

        return [CaKeyFactory.Create(kind, ClusterName, CaKeyStatus.Signing, _time.GetUtcNow())];
    }

    private void Adopt(CaKind kind, CaKeyEntry[] keys, IEnumerable<CaKeyEntry> created, long revision)
    {
        lock (_rotationLock)
        {
            _allKeys.AddRange(created);
            Volatile.Write(ref _revisions[(int)kind], revision);
            Volatile.Write(ref _rings[(int)kind], new CaKeyRing(kind, keys));
            // Keys dropped by a retire are left to the finaliser: an issue running concurrently may still hold the old ring.
        }
    }

    private static void RequirePhase(CaKind kind, CaKeyRing ring, CaRotationPhase expected)
    {
        if (ring.Phase == expected)
        {
            return;
        }

        throw expected switch
        {
            CaRotationPhase.Standby => new InvalidOperationException($"the {kind.ToName()} CA is already rotating (phase {ring.Phase}): finish it with switch and retire first"),
            CaRotationPhase.Added => new InvalidOperationException($"the {kind.ToName()} CA has no pending key to switch to (phase {ring.Phase}): run the add phase first"),
            _ => new InvalidOperationException($"the {kind.ToName()} CA has no previous key to retire (phase {ring.Phase}): run add and switch first"),
        };
    }

    private static CaKeyEntry[] Switched(CaKeyRing ring) => [.. ring.Keys.Select(k => k.Status switch
    {
        CaKeyStatus.Pending => k.WithStatus(CaKeyStatus.Signing),
        CaKeyStatus.Signing => k.WithStatus(CaKeyStatus.Previous),
        _ => k,
    })];

    private void RequireFiles()
    {
        if (_shared is not null)
        {
            throw new InvalidOperationException("these CAs live in the shared backend: rotate them with the asynchronous methods (AddKeyAsync, SwitchSigningKeyAsync, RetireOldKeysAsync)");
        }
    }
}
