using System.Net;
using Ferry.Identity;

namespace Ferry.Client.Tests;

/// <summary>A cluster's CAs on disk (real Ferry CA code) with a settable clock, to issue user and host certificates.</summary>
internal sealed class TestCluster : IDisposable
{
    private readonly CertificateAuthorityStore _store;

    public TestCluster(string dir, DateTimeOffset? now = null)
    {
        Clock = new ManualClock(now ?? DateTimeOffset.UtcNow);
        _store = CertificateAuthorityStore.OpenOrCreate(Path.Combine(dir, "ca"), "test", Clock);
        Issuer = new CertificateIssuer(_store);
    }

    public ManualClock Clock { get; }

    public CertificateIssuer Issuer { get; }

    public string UserCaPem => _store.ExportTrustedRootsPem(CaKind.User);

    public string HostCaPem => _store.ExportTrustedRootsPem(CaKind.Host);

    public string IssueUser(KeyPair key, string user, TimeSpan ttl) =>
        Issuer.IssueUserCertificate(key.ToClientPublicKey(), new UserIdentity { User = user, ClusterName = "test", Roles = ["developer"] }, ttl, ttl).ToPem();

    public string IssueHost(KeyPair key, HostRole role, string[] dns, IPAddress[] ips) =>
        Issuer.IssueHostCertificate(key.ToClientPublicKey(), role, "host-1", dns, ips, TimeSpan.FromHours(1)).ToPem();

    public void Dispose() => _store.Dispose();
}
