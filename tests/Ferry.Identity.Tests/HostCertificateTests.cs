using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Identity.Tests;

public sealed class HostCertificateTests
{
    [Theory]
    [InlineData(HostRole.Auth)]
    [InlineData(HostRole.Proxy)]
    [InlineData(HostRole.Agent)]
    public void IssueThenVerify_RoundTripsRoleIdAndNames(HostRole role)
    {
        using var ca = new TestAuthority();
        using var key = KeyPair.Generate();
        IPAddress[] ips = [IPAddress.Parse("10.0.0.7"), IPAddress.IPv6Loopback];

        using var certificate = ca.Issuer.IssueHostCertificate(key.ToClientPublicKey(), role, "host-42", ["a.example.com", "b.example.com"], ips, TimeSpan.FromDays(30)).ToX509Certificate2();
        var result = ca.Store.CreateVerifier(CaKind.Host).VerifyHost(certificate, role);

        Assert.True(result.IsValid, result.Message);
        Assert.Equal("host-42", result.Identity.HostId);
        Assert.Equal(role, result.Identity.Role);
        Assert.Equal("test-cluster", result.Identity.ClusterName);
        Assert.Equal(["a.example.com", "b.example.com"], result.Identity.DnsNames);
        Assert.Equal(ips, result.Identity.IpAddresses);
        var eku = Assert.Single(certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>()).EnhancedKeyUsages;
        Assert.Equal([IdentityOids.ServerAuth, IdentityOids.ClientAuth], eku.Cast<System.Security.Cryptography.Oid>().Select(o => o.Value));
    }

    [Fact]
    public void Issue_InvalidDnsName_IsRefused()
    {
        using var ca = new TestAuthority();
        using var key = KeyPair.Generate();

        Assert.Throws<InvalidCertificateRequestException>(() =>
            ca.Issuer.IssueHostCertificate(key.ToClientPublicKey(), HostRole.Agent, "a", ["not a name"], [], TimeSpan.FromHours(1)));
    }
}
