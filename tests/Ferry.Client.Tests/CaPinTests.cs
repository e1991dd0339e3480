using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Client.Tests;

public sealed class CaPinTests
{
    private const string Hex = "3f1a2b3c4d5e6f708192a3b4c5d6e7f80112233445566778899aabbccddeeff0";

    [Fact]
    public void Parse_LowerCaseHex_RoundTrips()
    {
        Assert.Equal("sha256:" + Hex, CaPin.Parse("sha256:" + Hex).ToString());
    }

    [Fact]
    public void Parse_UpperCaseWithColons_IsNormalised()
    {
        var grouped = string.Join(':', Enumerable.Range(0, 32).Select(i => Hex.Substring(i * 2, 2).ToUpperInvariant()));
        Assert.Equal(CaPin.Parse("sha256:" + Hex), CaPin.Parse("SHA256:" + grouped));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("md5:abcd", "must start with sha256:")]
    [InlineData("sha256:abcd", "64 hex digits")]
    [InlineData("sha256:zz1a2b3c4d5e6f708192a3b4c5d6e7f80112233445566778899aabbccddeeff0", "64 hex digits")]
    public void TryParse_Malformed_SaysWhatIsWrong(string text, string expected)
    {
        Assert.False(CaPin.TryParse(text, out _, out var error));
        Assert.Contains(expected, error);
        Assert.Throws<FerryClientException>(() => CaPin.Parse(text));
    }

    [Fact]
    public void Of_IsTheSha256OfTheSubjectPublicKeyInfo_AndSurvivesReissueForTheSameKey()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=ca", key, HashAlgorithmName.SHA256);
        using var first = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var second = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddDays(2));
        var expected = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));
        Assert.Equal(expected, CaPin.Of(first).ToString());
        Assert.Equal(CaPin.Of(first), CaPin.Of(second));

        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var third = new CertificateRequest("CN=ca", other, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        Assert.NotEqual(CaPin.Of(first), CaPin.Of(third));
    }
}
