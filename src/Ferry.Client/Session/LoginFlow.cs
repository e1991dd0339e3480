using System.Security.Cryptography.X509Certificates;
using Ferry.Contracts;
using Ferry.Client.Api;
using Ferry.Identity;

namespace Ferry.Client;

/// <summary>
/// <c>ferry login</c> in two steps so that no password leaves the machine before the cluster is trusted:
/// <see cref="EstablishTrustAsync"/> (pinned CA, or first contact with an optional <c>--ca-pin</c>), then
/// <see cref="LoginAsync"/> (key pair made here, password + TOTP, profile saved with 0600 files).
/// </summary>
public static class LoginFlow
{
    /// <summary>Fetches and checks the cluster CAs. With a saved profile for the same proxy, the saved pin is used.</summary>
    public static async Task<ClusterTrust> EstablishTrustAsync(FerryPaths paths, ProxyAddress address, CaPin? expectedPin, bool insecure, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(address);
        var store = new ProfileStore(paths);
        var saved = store.LoadProfile();
        if (!insecure && expectedPin is null && saved is not null && !saved.Insecure
            && saved.Proxy == address.ToString() && File.Exists(paths.HostCaFile))
        {
            var pinned = ClientSession.LoadCertificates(paths.HostCaFile);
            var trust = ServerTrust.Pinned([.. pinned], address);
            using var api = ClusterApi.Open(trust);
            var ca = await api.GetCaAsync(ct).ConfigureAwait(false);
            var fresh = Parse(ca.HostCaPem, address);
            // Fetched over a connection the saved pin verified: new keys of a CA rotation are accepted.
            return new ClusterTrust(address, ca, fresh, [.. fresh.Select(CaPin.Of)], FirstContact: false, ServerTrust.Pinned([.. fresh], address));
        }

        CaResponse first;
        using (var bootstrap = ClusterApi.Open(ServerTrust.Insecure(address)))
        {
            first = await bootstrap.GetCaAsync(ct).ConfigureAwait(false);
        }

        var hostCas = Parse(first.HostCaPem, address);
        var pins = hostCas.Select(CaPin.Of).ToList();
        if (expectedPin is { } want && !pins.Contains(want))
        {
            throw new FerryClientException(
                $"{address} presents cluster CA {string.Join(", ", pins)}, not the expected {want}: you may be talking to an impostor; check --ca-pin with your administrator");
        }

        if (insecure)
        {
            return new ClusterTrust(address, first, hostCas, pins, FirstContact: true, ServerTrust.Insecure(address));
        }

        // Ask again, this time verifying the server against the CA it claims: an impostor cannot answer.
        var verified = ServerTrust.Pinned([.. hostCas], address);
        using (var check = ClusterApi.Open(verified))
        {
            await check.GetCaAsync(ct).ConfigureAwait(false);
        }

        return new ClusterTrust(address, first, hostCas, pins, FirstContact: true, verified);
    }

    /// <summary>Logs in with password and TOTP code; saves the profile and returns the session.</summary>
    public static async Task<ClientSession> LoginAsync(FerryPaths paths, ClusterTrust cluster, string user, string password, string otp, string? mySqlProxy, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(cluster);
        if (string.IsNullOrWhiteSpace(user))
        {
            throw new FerryClientException("no user name: pass --user NAME");
        }

        using var key = KeyPair.Generate();
        UserCertificateResponse reply;
        using (var api = ClusterApi.Open(cluster.Trust))
        {
            reply = await api.LoginAsync(new LoginRequest { User = user, Password = password, Otp = otp, PublicKeyPem = key.ExportPublicKeyPem() }, ct).ConfigureAwait(false);
        }

        return Save(paths, cluster, user, key, reply, mySqlProxy, connector: "");
    }

    /// <summary>Saves a login certificate for <paramref name="key"/> as the profile (0600 files) and loads it: the one way a login is stored, local or single sign-on.</summary>
    internal static ClientSession Save(FerryPaths paths, ClusterTrust cluster, string user, KeyPair key, UserCertificateResponse reply, string? mySqlProxy, string connector)
    {
        var mysql = string.IsNullOrWhiteSpace(mySqlProxy)
            ? new ProxyAddress(cluster.Address.Host, 3036)
            : ProxyAddress.Parse(mySqlProxy, 3036);
        var now = DateTimeOffset.UtcNow;
        var profile = new ClientProfile
        {
            Proxy = cluster.Address.ToString(),
            MySqlProxy = mysql.ToString(),
            User = user,
            Connector = connector,
            Cluster = cluster.Ca.Cluster,
            CaPins = [.. cluster.Pins.Select(p => p.ToString())],
            Insecure = cluster.Trust.IsInsecure,
            LoggedIn = now,
            Expires = reply.Expires,
        };
        var store = new ProfileStore(paths);
        if (store.LoadProfile() is { } previous && (previous.Proxy != profile.Proxy || previous.User != profile.User))
        {
            // Another cluster or user: the old database logins hold certificates for the old key.
            store.DeleteLogin();
        }

        var hostCaPem = string.IsNullOrEmpty(reply.HostCaPem) ? cluster.Ca.HostCaPem : reply.HostCaPem;
        var userCaPem = string.IsNullOrEmpty(reply.UserCaPem) ? cluster.Ca.UserCaPem : reply.UserCaPem;
        store.SaveLogin(profile, key.ExportPrivateKeyPem(), reply.CertificatePem, hostCaPem, userCaPem);
        return ClientSession.Load(paths);
    }

    private static X509Certificate2Collection Parse(string pem, ProxyAddress address)
    {
        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPem(pem);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new FerryClientException($"{address} sent a host CA that is not valid PEM ({e.Message})", e);
        }

        return collection.Count > 0 ? collection : throw new FerryClientException($"{address} sent no host CA: is it a Ferry proxy?");
    }
}
