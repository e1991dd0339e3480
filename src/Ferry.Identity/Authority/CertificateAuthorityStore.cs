using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Ferry.Identity;

/// <summary>
/// The cluster's three CAs (user, host, db-client), kept as PEM files mode 0600 under
/// <c>&lt;dataDirectory&gt;/ca/</c> (layout in <see cref="CaFiles"/>). Created on first start,
/// reloaded on restart. Thread-safe: readers see immutable snapshots, rotation steps are serialised.
/// One store per data directory and process. Several auth servers sharing a backend open the CAs from it instead
/// (<see cref="OpenSharedAsync"/>): the private keys are sealed there with a key of their own, and every server
/// follows rotations made by another (<see cref="ReloadAsync"/>).
/// </summary>
public sealed partial class CertificateAuthorityStore : IDisposable
{
    private readonly Lock _rotationLock = new();
    private readonly CaKeyRing[] _rings;
    private readonly List<CaKeyEntry> _allKeys = [];
    private readonly TimeProvider _time;
    private readonly VerifierCache?[] _verifiers = new VerifierCache?[3];

    private CertificateAuthorityStore(string dataDirectory, string clusterName, TimeProvider time)
    {
        DataDirectory = dataDirectory;
        ClusterName = clusterName;
        _time = time;
        _rings = new CaKeyRing[3];
    }

    /// <summary>Data directory the CA files live under.</summary>
    public string DataDirectory { get; }

    /// <summary>Cluster name written into CA subjects and identity extensions.</summary>
    public string ClusterName { get; }

    /// <summary>Clock used for validity periods.</summary>
    public TimeProvider TimeProvider => _time;

    /// <summary>Loads the three CAs from <paramref name="dataDirectory"/>, creating any that do not exist yet.</summary>
    /// <exception cref="InvalidOperationException">A CA file is unreadable, inconsistent or readable by other users; the message names the fix.</exception>
    public static CertificateAuthorityStore OpenOrCreate(string dataDirectory, string clusterName, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        ArgumentException.ThrowIfNullOrEmpty(clusterName);
        var store = new CertificateAuthorityStore(dataDirectory, clusterName, timeProvider ?? TimeProvider.System);
        try
        {
            CaFiles.EnsureDirectory(dataDirectory);
            CaFiles.EnsureDirectory(Path.Combine(dataDirectory, "ca"));
            foreach (var kind in (ReadOnlySpan<CaKind>)[CaKind.User, CaKind.Host, CaKind.DbClient])
            {
                store._rings[(int)kind] = store.LoadOrCreate(kind);
            }

            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>Current rotation phase of a CA.</summary>
    public CaRotationPhase GetRotationPhase(CaKind kind) => Ring(kind).Phase;

    /// <summary>All keys of a CA with their status (signing first is not guaranteed).</summary>
    public IReadOnlyList<CaKeyInfo> GetKeys(CaKind kind) => [.. Ring(kind).Keys.Select(k => k.ToInfo())];

    /// <summary>The certificates of every trusted key of a CA (signing, pending and previous), without private keys.</summary>
    public IReadOnlyList<X509Certificate2> GetTrustedRoots(CaKind kind) => [.. Ring(kind).Keys.Select(k => k.Certificate)];

    /// <summary>
    /// Trusted roots of a CA as concatenated PEM certificates: for PostgreSQL <c>ssl_ca_file</c> and
    /// MariaDB <c>ssl-ca</c> (db-client CA), or the trust bundle of clients and agents.
    /// </summary>
    public string ExportTrustedRootsPem(CaKind kind)
    {
        var text = new StringBuilder();
        foreach (var key in Ring(kind).Keys)
        {
            text.Append(key.Certificate.ExportCertificatePem()).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>A verifier trusting every current key of the CA. Create a new one after a rotation step.</summary>
    public IdentityVerifier CreateVerifier(CaKind kind) => new(kind, GetTrustedRoots(kind), _time);

    /// <summary>A verifier trusting every current key of the CA, rebuilt after each rotation step (here or, shared, on another server).</summary>
    public IdentityVerifier CurrentVerifier(CaKind kind)
    {
        var ring = Ring(kind);
        var cached = Volatile.Read(ref _verifiers[(int)kind]);
        if (cached is not null && ReferenceEquals(cached.Ring, ring))
        {
            return cached.Verifier;
        }

        var verifier = new IdentityVerifier(kind, [.. ring.Keys.Select(k => k.Certificate)], _time);
        Volatile.Write(ref _verifiers[(int)kind], new VerifierCache(ring, verifier));
        return verifier;
    }

    private sealed record VerifierCache(CaKeyRing Ring, IdentityVerifier Verifier);

    internal CaKeyRing Ring(CaKind kind) => Volatile.Read(ref _rings[(int)kind]);

    /// <summary>Releases the CA private keys.</summary>
    public void Dispose()
    {
        lock (_rotationLock)
        {
            foreach (var key in _allKeys)
            {
                key.PrivateKey.Dispose();
            }

            _allKeys.Clear();
        }

        _sharedLock.Dispose();
    }

    private CaKeyRing LoadOrCreate(CaKind kind)
    {
        var dir = CaFiles.KindDirectory(DataDirectory, kind);
        CaFiles.EnsureDirectory(dir);
        var statePath = CaFiles.StatePath(dir);
        if (!File.Exists(statePath))
        {
            var created = CaKeyFactory.Create(kind, ClusterName, CaKeyStatus.Signing, _time.GetUtcNow());
            _allKeys.Add(created);
            CaKeyFactory.Save(dir, created);
            CaFiles.WritePrivate(statePath, CaFiles.FormatState([created]));
            return new CaKeyRing(kind, [created]);
        }

        var state = CaFiles.ParseState(statePath, CaFiles.ReadPrivate(statePath));
        var keys = new CaKeyEntry[state.Count];
        for (var i = 0; i < state.Count; i++)
        {
            keys[i] = CaKeyFactory.Load(dir, state[i].Id, state[i].Status);
            _allKeys.Add(keys[i]);
        }

        return new CaKeyRing(kind, keys);
    }
}
