using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Ferry.Contracts;
using Ferry.Identity;

namespace Ferry.Hosting;

/// <summary>
/// A standalone host's identity: its host certificate (joined once with a token, then renewed at two
/// thirds of its life and kept on disk so a restart needs no new token) and the cluster's CA bundles
/// it verifies others against.
/// </summary>
public sealed class HostCredentials
{
    private const string CertFile = "host.crt";
    private const string KeyFile = "host.key";
    private const string CaFile = "cluster-ca.json";
    private readonly HostJoinOptions _options;
    private readonly Lock _lock = new();
    private X509Certificate2 _certificate;
    private CaResponse _cas;

    private HostCredentials(HostJoinOptions options, X509Certificate2 certificate, CaResponse cas)
    {
        _options = options;
        _certificate = certificate;
        _cas = cas;
        HostVerifier = Verifier(CaKind.Host, cas.HostCaPem);
        UserVerifier = Verifier(CaKind.User, cas.UserCaPem);
    }

    public IdentityVerifier HostVerifier { get; private set; }

    public IdentityVerifier UserVerifier { get; private set; }

    public string DbClientCaPem => _cas.DbClientCaPem;

    public string HostId => _options.HostId;

    public string ClusterName => _cas.Cluster;

    public DateTimeOffset NotAfter
    {
        get
        {
            lock (_lock)
            {
                return new DateTimeOffset(_certificate.NotAfter.ToUniversalTime());
            }
        }
    }

    public X509Certificate2 Current()
    {
        lock (_lock)
        {
            return _certificate;
        }
    }

    /// <summary>Checks the auth service's certificate (role auth) against the cluster's host CA.</summary>
    public RemoteCertificateValidationCallback ValidateAuth => TlsValidation.ForHosts(HostVerifier, HostRole.Auth);

    /// <summary>A client for the auth API that presents this host's current certificate.</summary>
    public AuthApiClient CreateApiClient(Action<string>? log = null) => Client(_options, Current, ValidateAuth, log);

    /// <summary>A client for every auth address of <paramref name="options"/>; a failover is logged and counted (<c>ferry_auth_failovers_total</c>).</summary>
    private static AuthApiClient Client(HostJoinOptions options, Func<X509Certificate2?> certificate, System.Net.Security.RemoteCertificateValidationCallback validate, Action<string>? log) =>
        new(options.AllAuthAddresses, certificate, validate, (from, to, why) =>
        {
            Ferry.Diagnostics.FerryMetrics.AuthFailover(options.Role);
            log?.Invoke($"warning: the auth API at {from} is unreachable ({why}); failed over to {to}");
        });

    /// <summary>Loads the stored certificate when it is still valid for a while; otherwise joins with the token.</summary>
    public static async Task<HostCredentials> LoadOrJoinAsync(HostJoinOptions options, Action<string> log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        Ferry.Text.OwnerOnlyFiles.CreateDirectory(options.Directory);
        if (TryLoad(options) is { } stored)
        {
            log($"using the stored host certificate of {options.HostId} (valid until {stored.NotAfter:u})");
            return stored;
        }
        if (string.IsNullOrEmpty(options.Token))
        {
            throw new AuthApiException(0, $"{options.HostId} has no valid host certificate in {options.Directory} and no join_token: create one with `ferryd admin tokens add --role {options.Role}`");
        }

        CaResponse cas;
        using (var bootstrap = Client(options, static () => null, static (_, _, _, _) => true, log))
        {
            cas = await bootstrap.GetCaAsync(ct).ConfigureAwait(false);
        }
        var seen = string.Join(", ", CaFingerprint.OfBundle(cas.HostCaPem));
        if (options.CaPin is { } pin)
        {
            if (!CaFingerprint.Matches(pin, cas.HostCaPem))
            {
                throw new AuthApiException(0, $"the cluster at {options.AuthAddress} presents host CA {seen}, not the pinned {pin}: refusing to join");
            }
        }
        else
        {
            log($"warning: no ca_pin set; trusting the host CA {seen} seen on first contact with {options.AuthAddress}");
        }

        using var key = KeyPair.Generate();
        var hostVerifier = Verifier(CaKind.Host, cas.HostCaPem);
        HostCertificateResponse issued;
        using (var api = Client(options, static () => null, TlsValidation.ForHosts(hostVerifier, HostRole.Auth), log))
        {
            issued = await api.JoinAsync(new JoinRequest
            {
                Token = options.Token,
                HostId = options.HostId,
                Role = options.Role,
                PublicKeyPem = key.ExportPublicKeyPem(),
                DnsNames = [.. options.DnsNames],
                Ips = [.. options.Ips],
            }, ct).ConfigureAwait(false);
        }
        var full = new CaResponse { Cluster = cas.Cluster, HostCaPem = issued.HostCaPem, UserCaPem = issued.UserCaPem, DbClientCaPem = issued.DbClientCaPem };
        var credentials = new HostCredentials(options, TlsCertificates.FromPem(issued.CertificatePem, key.ExportPrivateKeyPem()), full);
        credentials.Save(issued.CertificatePem, key.ExportPrivateKeyPem());
        log($"joined the cluster as {options.Role} {options.HostId} (host certificate valid until {issued.Expires:u})");
        return credentials;
    }

    /// <summary>Renews the host certificate at two thirds of its life (retrying every 30 s on failure) until cancelled; also refreshes the CA bundles.</summary>
    public async Task RenewLoopAsync(AuthApiClient api, Action<string> log, TimeProvider time, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(time);
        while (!ct.IsCancellationRequested)
        {
            var wait = CertificateRenewal.RenewAt(Current()) - time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, ct).ConfigureAwait(false);
            }
            try
            {
                using var key = KeyPair.Generate();
                var issued = await api.RenewAsync(new HostRenewRequest
                {
                    PublicKeyPem = key.ExportPublicKeyPem(),
                    DnsNames = [.. _options.DnsNames],
                    Ips = [.. _options.Ips],
                }, ct).ConfigureAwait(false);
                var renewed = TlsCertificates.FromPem(issued.CertificatePem, key.ExportPrivateKeyPem());
                lock (_lock)
                {
                    _certificate = renewed;
                    _cas = new CaResponse { Cluster = _cas.Cluster, HostCaPem = issued.HostCaPem, UserCaPem = issued.UserCaPem, DbClientCaPem = issued.DbClientCaPem };
                    HostVerifier = Verifier(CaKind.Host, issued.HostCaPem);
                    UserVerifier = Verifier(CaKind.User, issued.UserCaPem);
                }
                Save(issued.CertificatePem, key.ExportPrivateKeyPem());
                log($"renewed the host certificate (valid until {issued.Expires:u})");
            }
            catch (AuthApiException e)
            {
                Ferry.Diagnostics.FerryMetrics.BackgroundFailure("host_certificate_renewal");
                log($"host certificate renewal failed, retrying in 30s: {e.Message}");
                await Task.Delay(TimeSpan.FromSeconds(30), time, ct).ConfigureAwait(false);
            }
        }
    }

    private static HostCredentials? TryLoad(HostJoinOptions options)
    {
        var certPath = Path.Combine(options.Directory, CertFile);
        var keyPath = Path.Combine(options.Directory, KeyFile);
        var caPath = Path.Combine(options.Directory, CaFile);
        if (!File.Exists(certPath) || !File.Exists(keyPath) || !File.Exists(caPath))
        {
            return null;
        }
        var cas = System.Text.Json.JsonSerializer.Deserialize(File.ReadAllText(caPath), AuthApiJsonContext.Default.CaResponse);
        if (cas is null)
        {
            return null;
        }
        var cert = TlsCertificates.FromPem(File.ReadAllText(certPath), File.ReadAllText(keyPath));
        var credentials = new HostCredentials(options, cert, cas);
        var check = credentials.HostVerifier.VerifyHost(cert.RawData);
        if (!check.IsValid || check.Identity.HostId != options.HostId || credentials.NotAfter - DateTimeOffset.UtcNow < TimeSpan.FromMinutes(1))
        {
            return null;
        }
        return credentials;
    }

    private void Save(string certificatePem, string keyPem)
    {
        var dir = _options.Directory;
        var keyPath = Path.Combine(dir, KeyFile);
        File.WriteAllText(keyPath + ".tmp", "");
        File.SetUnixFileMode(keyPath + ".tmp", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(keyPath + ".tmp", keyPem);
        File.WriteAllText(Path.Combine(dir, CertFile) + ".tmp", certificatePem);
        File.WriteAllText(Path.Combine(dir, CaFile) + ".tmp", System.Text.Json.JsonSerializer.Serialize(_cas, AuthApiJsonContext.Default.CaResponse));
        File.Move(keyPath + ".tmp", keyPath, overwrite: true);
        File.Move(Path.Combine(dir, CertFile) + ".tmp", Path.Combine(dir, CertFile), overwrite: true);
        File.Move(Path.Combine(dir, CaFile) + ".tmp", Path.Combine(dir, CaFile), overwrite: true);
    }

    private static IdentityVerifier Verifier(CaKind kind, string pem)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPem(pem);
        return new IdentityVerifier(kind, roots);
    }
}
