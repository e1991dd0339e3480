using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Client.Tests;

public sealed class RoutedCertificateSourceTests
{
    private static X509Certificate2 SelfSigned(string cn)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new CertificateRequest("CN=" + cn, key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    [Fact]
    public async Task GetAsync_ReusesTheCertificate_UntilTwoThirdsOfItsLifetime_ThenRenewsInMemory()
    {
        var start = new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
        var clock = new ManualClock(start);
        var issued = 0;
        using var source = new RoutedCertificateSource("pg1", _ =>
        {
            issued++;
            return Task.FromResult((SelfSigned("c" + issued), clock.Now + TimeSpan.FromMinutes(30)));
        }, start + TimeSpan.FromHours(8), "ferry login --proxy p:3080 --user alice", clock);

        var first = await source.GetAsync();
        clock.Now = start + TimeSpan.FromMinutes(19);
        Assert.Same(first, await source.GetAsync());
        Assert.Equal(1, issued);

        clock.Now = start + TimeSpan.FromMinutes(21);
        var second = await source.GetAsync();
        Assert.NotSame(first, second);
        Assert.Equal("CN=c2", second.Subject);
        Assert.Equal(2, source.Issued);
        Assert.Equal(clock.Now + TimeSpan.FromMinutes(30), source.Expires);
    }

    [Fact]
    public async Task GetAsync_AfterTheLoginEnds_SaysWhatToRunInOneLine()
    {
        var start = new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
        var clock = new ManualClock(start);
        using var source = new RoutedCertificateSource("pg1", _ => Task.FromResult((SelfSigned("c"), clock.Now + TimeSpan.FromMinutes(10))),
            start + TimeSpan.FromMinutes(10), "ferry login --proxy p:3080 --user alice", clock);
        await source.GetAsync();
        clock.Now = start + TimeSpan.FromMinutes(13);
        var e = await Assert.ThrowsAsync<FerryClientException>(() => source.GetAsync());
        Assert.Equal("your login expired 3m ago: run `ferry login --proxy p:3080 --user alice`, then start `ferry proxy db pg1` again", e.Message);
    }
}
