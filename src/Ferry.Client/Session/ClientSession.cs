using System.Security.Cryptography.X509Certificates;
using Ferry.Contracts;
using Ferry.Client.Api;
using Ferry.Identity;
using Ferry.Text;

namespace Ferry.Client;

/// <summary>
/// A loaded, valid login: the profile, the local key, the login certificate and the pinned CAs.
/// <see cref="Load"/> refuses a missing or expired login with one line that says what to run.
/// </summary>
public sealed class ClientSession : IDisposable
{
    private ClientSession(ProfileStore store, ClientProfile profile, KeyPair key, X509Certificate2 certificate, X509Certificate2Collection hostCas, UserIdentity identity)
    {
        Store = store;
        Profile = profile;
        Key = key;
        Certificate = certificate;
        HostCas = hostCas;
        Identity = identity;
        Address = ProxyAddress.Parse(profile.Proxy);
        Trust = profile.Insecure ? ServerTrust.Insecure(Address) : ServerTrust.Pinned([.. hostCas], Address);
    }

    public ProfileStore Store { get; }

    public FerryPaths Paths => Store.Paths;

    public ClientProfile Profile { get; }

    public ProxyAddress Address { get; }

    public KeyPair Key { get; }

    /// <summary>The login certificate with its private key (for mutual TLS with the API).</summary>
    public X509Certificate2 Certificate { get; }

    public X509Certificate2Collection HostCas { get; }

    public ServerTrust Trust { get; }

    /// <summary>Who the login certificate speaks for, with its NotAfter (the session expiry).</summary>
    public UserIdentity Identity { get; }

    /// <summary>"ferry login --proxy HOST:PORT --user NAME" (or "--sso CONNECTOR") for the saved profile (or the generic form).</summary>
    public static string LoginCommand(ClientProfile? profile) =>
        profile is { Proxy.Length: > 0, Connector.Length: > 0 }
            ? $"ferry login --proxy {profile.Proxy} --sso {profile.Connector}"
            : profile is { Proxy.Length: > 0, User.Length: > 0 }
            ? $"ferry login --proxy {profile.Proxy} --user {profile.User}"
            : "ferry login --proxy HOST:3080 --user NAME";

    /// <summary>Loads the login or throws a one-line <see cref="FerryClientException"/> (not logged in, expired, damaged).</summary>
    public static ClientSession Load(FerryPaths paths, TimeProvider? time = null)
    {
        var store = new ProfileStore(paths);
        var profile = store.LoadProfile();
        if (profile is null || !File.Exists(paths.KeyFile) || !File.Exists(paths.CertificateFile) || !File.Exists(paths.UserCaFile) || !File.Exists(paths.HostCaFile))
        {
            throw new FerryClientException($"not logged in: run `{LoginCommand(profile)}`");
        }

        KeyPair? key = null;
        X509Certificate2? certificate = null;
        try
        {
            key = KeyPair.FromPrivateKeyPem(File.ReadAllText(paths.KeyFile));
            var certPem = File.ReadAllText(paths.CertificateFile);
            certificate = TlsCertificates.FromPem(certPem, key.ExportPrivateKeyPem());
            var userCas = LoadCertificates(paths.UserCaFile);
            var hostCas = LoadCertificates(paths.HostCaFile);
            var result = new IdentityVerifier(CaKind.User, userCas, time).VerifyUser(certificate);
            if (!result.IsValid)
            {
                throw new FerryClientException(result.Failure == VerificationFailure.Expired
                    ? $"your login to {profile.Proxy} as {profile.User} expired {DurationText.Format(result.TimeOutsideValidity)} ago: run `{LoginCommand(profile)}`"
                    : $"the saved login is not usable ({result.Message}): run `{LoginCommand(profile)}`");
            }

            var session = new ClientSession(store, profile, key, certificate, hostCas, result.Identity!);
            key = null;
            certificate = null;
            return session;
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException or IOException)
        {
            throw new FerryClientException($"the saved login in {paths.Root} is damaged ({e.Message}): run `{LoginCommand(profile)}`", e);
        }
        finally
        {
            key?.Dispose();
            certificate?.Dispose();
        }
    }

    /// <summary>An API client authenticated with the login certificate.</summary>
    public AuthApiClient Api() => ClusterApi.Open(Trust, Certificate);

    /// <summary>The databases the user's roles allow.</summary>
    public async Task<List<DatabaseEntry>> ListDatabasesAsync(CancellationToken ct = default)
    {
        using var api = Api();
        return (await api.ListDatabasesAsync(ct).ConfigureAwait(false)).Databases;
    }

    /// <summary>A certificate for this session's key, routed to one database (PEM and usable form).</summary>
    public async Task<(string Pem, X509Certificate2 Certificate, DateTimeOffset Expires)> IssueRoutedAsync(string service, string protocol, string dbUser, string dbName, CancellationToken ct = default)
    {
        using var api = Api();
        var reply = await api.IssueUserCertificateAsync(new UserCertificateRequest
        {
            PublicKeyPem = Key.ExportPublicKeyPem(),
            Route = new RouteRequest { Service = service, Protocol = protocol, DbUser = dbUser, DbName = dbName },
        }, ct).ConfigureAwait(false);
        return (reply.CertificatePem, TlsCertificates.FromPem(reply.CertificatePem, Key.ExportPrivateKeyPem()), reply.Expires);
    }

    /// <summary>
    /// Like <see cref="IssueRoutedAsync"/> with the session MFA fields (<paramref name="otp"/>, <paramref name="mfaGrant"/>,
    /// <paramref name="requestGrant"/>); the whole answer. Throws <see cref="SessionMfaRequiredException"/> when the route needs a code.
    /// </summary>
    public async Task<(UserCertificateResponse Reply, X509Certificate2 Certificate)> IssueRoutedWithMfaAsync(string service, string protocol, string dbUser, string dbName, string? otp, string? mfaGrant, bool requestGrant, CancellationToken ct = default)
    {
        using var api = Api();
        var reply = await api.IssueUserCertificateAsync(new UserCertificateRequest
        {
            PublicKeyPem = Key.ExportPublicKeyPem(),
            Route = new RouteRequest { Service = service, Protocol = protocol, DbUser = dbUser, DbName = dbName },
            Otp = otp,
            MfaGrant = mfaGrant,
            RequestMfaGrant = requestGrant ? true : null,
        }, ct).ConfigureAwait(false);
        return (reply, TlsCertificates.FromPem(reply.CertificatePem, Key.ExportPrivateKeyPem()));
    }

    internal static X509Certificate2Collection LoadCertificates(string file)
    {
        var collection = new X509Certificate2Collection();
        collection.ImportFromPem(File.ReadAllText(file));
        if (collection.Count == 0)
        {
            throw new ArgumentException($"{file} holds no certificate");
        }

        return collection;
    }

    public void Dispose()
    {
        Key.Dispose();
        Certificate.Dispose();
        foreach (var ca in HostCas)
        {
            ca.Dispose();
        }
    }
}
