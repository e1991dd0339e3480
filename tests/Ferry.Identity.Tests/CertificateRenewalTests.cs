namespace Ferry.Identity.Tests;

public sealed class CertificateRenewalTests
{
    [Fact]
    public void RenewAt_IsTwoThirdsOfTheWayThroughTheValidity()
    {
        var issued = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        Assert.Equal(issued.AddHours(16), CertificateRenewal.RenewAt(issued, issued.AddHours(24)));
        Assert.Equal(issued.AddMinutes(40), CertificateRenewal.RenewAt(issued, issued.AddHours(1)));
    }

    [Fact]
    public void RenewAt_OfACertificate_UsesItsNotBeforeAndNotAfter()
    {
        using var ca = new TestAuthority();
        using var certificate = ca.IssueHost();
        var notBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime());
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());

        Assert.Equal(notBefore + ((notAfter - notBefore) * 2 / 3), CertificateRenewal.RenewAt(certificate));
    }
}
