namespace Ferry.Client.Tests;

public sealed class SessionMfaOptionsTests
{
    [Theory]
    [InlineData(null, SessionMfaMethod.Auto)]
    [InlineData("", SessionMfaMethod.Auto)]
    [InlineData("auto", SessionMfaMethod.Auto)]
    [InlineData("SSO", SessionMfaMethod.Sso)]
    [InlineData("otp", SessionMfaMethod.Otp)]
    [InlineData("totp", SessionMfaMethod.Otp)]
    public void ParseMethod_KnowsAutoSsoAndOtp(string? value, SessionMfaMethod expected)
    {
        Assert.Equal(expected, SessionMfaOptions.ParseMethod(value));
    }

    [Fact]
    public void ParseMethod_OfAnUnknownWay_NamesTheOnesThatExist()
    {
        var e = Assert.Throws<FerryClientException>(() => SessionMfaOptions.ParseMethod("webauthn"));
        Assert.Contains("auto, sso", e.Message, StringComparison.Ordinal);
        Assert.Contains("otp", e.Message, StringComparison.Ordinal);
    }
}
