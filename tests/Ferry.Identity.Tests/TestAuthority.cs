using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Identity.Tests;

/// <summary>A CA store in a fresh temporary directory, with an issuer and a hand-moved clock.</summary>
internal sealed class TestAuthority : IDisposable
{
    public TestAuthority(string cluster = "test-cluster", string? directory = null)
    {
        Directory = directory ?? Path.Combine(Path.GetTempPath(), "ferry-identity-" + Guid.NewGuid().ToString("N"));
        Clock = ManualClock.AtNow();
        Store = CertificateAuthorityStore.OpenOrCreate(Directory, cluster, Clock);
        Issuer = new CertificateIssuer(Store);
    }

    public string Directory { get; }
    public ManualClock Clock { get; }
    public CertificateAuthorityStore Store { get; }
    public CertificateIssuer Issuer { get; }

    public static UserIdentity Alice(string cluster = "test-cluster") => new()
    {
        User = "alice",
        ClusterName = cluster,
        Roles = ["developer", "auditor"],
        Traits = new Dictionary<string, IReadOnlyList<string>>
        {
            ["db_users"] = ["alice", "readonly"],
            ["db_names"] = ["app", "analytics"],
            ["empty"] = [],
        },
        Route = new DatabaseRoute("orders-db", DatabaseProtocol.Postgres, "readonly", "app"),
        AccessRequestIds = ["req-1", "req-2"],
        MfaVerified = true,
    };

    public X509Certificate2 IssueUser(UserIdentity? identity = null, TimeSpan? ttl = null)
    {
        using var key = KeyPair.Generate();
        return Issuer.IssueUserCertificate(key.ToClientPublicKey(), identity ?? Alice(), ttl ?? TimeSpan.FromHours(1), TimeSpan.FromHours(8)).ToX509Certificate2();
    }

    public X509Certificate2 IssueHost(HostRole role = HostRole.Proxy, string hostId = "proxy-1")
    {
        using var key = KeyPair.Generate();
        return Issuer.IssueHostCertificate(key.ToClientPublicKey(), role, hostId, ["proxy.example.com"], [System.Net.IPAddress.Loopback], TimeSpan.FromHours(1)).ToX509Certificate2();
    }

    /// <summary>Signs an arbitrary leaf with the current signing key of a CA, for certificates the issuer would refuse to make.</summary>
    public X509Certificate2 SignCustom(CaKind kind, string subject, IEnumerable<X509Extension> extensions, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        var signer = Store.Ring(kind).Signing;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        foreach (var extension in extensions)
        {
            request.CertificateExtensions.Add(extension);
        }

        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(signer.SubjectKeyId));
        var now = Clock.GetUtcNow();
        return request.Create(signer.Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(signer.PrivateKey),
            notBefore ?? now.AddMinutes(-1), notAfter ?? now.AddHours(1), [0x42, 0x01]);
    }

    public void Dispose()
    {
        Store.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
