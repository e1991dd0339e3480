using System.Net;
using System.Security.Cryptography.X509Certificates;
using Ferry.Identity;

namespace Ferry.Client.Tests;

public sealed class ServerTrustTests
{
    private static X509Certificate2 Load(string pem) => X509Certificate2.CreateFromPem(pem);

    [Fact]
    public void Check_ProxyCertificateOfThePinnedCa_NamingTheAddress_IsTrusted()
    {
        using var dir = new TempDirectory();
        using var cluster = new TestCluster(dir.Path);
        using var key = KeyPair.Generate();
        using var server = Load(cluster.IssueHost(key, HostRole.Proxy, ["proxy.test"], [IPAddress.Loopback]));
        var cas = new X509Certificate2Collection();
        cas.ImportFromPem(cluster.HostCaPem);
        Assert.Null(ServerTrust.Pinned([.. cas], ProxyAddress.Parse("127.0.0.1:3080")).Check(server));
        Assert.Null(ServerTrust.Pinned([.. cas], ProxyAddress.Parse("proxy.test:3080")).Check(server));
    }

    [Fact]
    public void Check_ApiCalls_NeedTheAuthCertificate_SoAProxyNeverSeesALogin()
    {
        using var dir = new TempDirectory();
        using var cluster = new TestCluster(dir.Path);
        using var proxyKey = KeyPair.Generate();
        using var authKey = KeyPair.Generate();
        using var proxy = Load(cluster.IssueHost(proxyKey, HostRole.Proxy, ["proxy.test"], [IPAddress.Loopback]));
        using var auth = Load(cluster.IssueHost(authKey, HostRole.Auth, ["proxy.test"], [IPAddress.Loopback]));
        var cas = new X509Certificate2Collection();
        cas.ImportFromPem(cluster.HostCaPem);
        var trust = ServerTrust.Pinned([.. cas], ProxyAddress.Parse("proxy.test:3080"));

        Assert.Null(trust.Check(auth, HostRole.Auth));
        Assert.Contains("not the Auth certificate", trust.Check(proxy, HostRole.Auth));
        Assert.Null(trust.Check(proxy, HostRole.Proxy));
        Assert.Contains("not the Proxy certificate", trust.Check(auth, HostRole.Proxy));
    }

    [Fact]
    public void Check_WrongName_IsRefusedNamingWhatTheCertificateCovers()
    {
        using var dir = new TempDirectory();
        using var cluster = new TestCluster(dir.Path);
        using var key = KeyPair.Generate();
        using var server = Load(cluster.IssueHost(key, HostRole.Proxy, ["proxy.test"], [IPAddress.Loopback]));
        var cas = new X509Certificate2Collection();
        cas.ImportFromPem(cluster.HostCaPem);
        var problem = ServerTrust.Pinned([.. cas], ProxyAddress.Parse("evil.test:3080")).Check(server);
        Assert.NotNull(problem);
        Assert.Contains("proxy.test", problem);
        Assert.Contains("not evil.test", problem);
    }

    [Fact]
    public void Check_CertificateFromAnotherCa_IsRefused_UnlessInsecure()
    {
        using var dir = new TempDirectory();
        using var cluster = new TestCluster(Path.Combine(dir.Path, "a"));
        using var impostor = new TestCluster(Path.Combine(dir.Path, "b"));
        using var key = KeyPair.Generate();
        using var server = Load(impostor.IssueHost(key, HostRole.Proxy, ["localhost"], [IPAddress.Loopback]));
        var cas = new X509Certificate2Collection();
        cas.ImportFromPem(cluster.HostCaPem);
        var address = ProxyAddress.Parse("127.0.0.1:3080");
        Assert.Contains("does not vouch", ServerTrust.Pinned([.. cas], address).Check(server));
        Assert.Null(ServerTrust.Insecure(address).Check(server));
    }

    [Fact]
    public void Check_AgentCertificate_IsNotAProxy()
    {
        using var dir = new TempDirectory();
        using var cluster = new TestCluster(dir.Path);
        using var key = KeyPair.Generate();
        using var server = Load(cluster.IssueHost(key, HostRole.Agent, ["localhost"], [IPAddress.Loopback]));
        var cas = new X509Certificate2Collection();
        cas.ImportFromPem(cluster.HostCaPem);
        Assert.Contains("not a proxy", ServerTrust.Pinned([.. cas], ProxyAddress.Parse("127.0.0.1")).Check(server));
    }
}
