using Ferry.Contracts;

namespace Ferry.Client.Tests;

public sealed class SsoLoginTests
{
    private static readonly ProxyAddress Address = ProxyAddress.Parse("ferry.example.com:3080");

    private static SsoConnectorInfo C(string name, string display) => new() { Name = name, DisplayName = display };

    [Fact]
    public void Choose_WithoutAName_TakesTheOnlyConnector()
    {
        Assert.Equal("okta", SsoLogin.Choose([C("okta", "Okta")], null, Address).Name);
    }

    [Fact]
    public void Choose_WithoutANameAmongSeveral_ListsThemAndSaysToPassOne()
    {
        var e = Assert.Throws<FerryClientException>(() => SsoLogin.Choose([C("okta", "Okta"), C("entra", "Entra ID")], "", Address));
        Assert.Contains("pass --sso NAME", e.Message, StringComparison.Ordinal);
        Assert.Contains("okta", e.Message, StringComparison.Ordinal);
        Assert.Contains("Entra ID", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Choose_ByName_IsExact_AndAnUnknownNameListsWhatIsOffered()
    {
        Assert.Equal("entra", SsoLogin.Choose([C("okta", "Okta"), C("entra", "Entra ID")], "entra", Address).Name);
        var e = Assert.Throws<FerryClientException>(() => SsoLogin.Choose([C("okta", "Okta")], "Okta", Address));
        Assert.Contains("no single sign-on connector \"Okta\"", e.Message, StringComparison.Ordinal);
        Assert.Contains("okta", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Choose_WhenTheClusterHasNone_SaysHowToLogInInstead()
    {
        var e = Assert.Throws<FerryClientException>(() => SsoLogin.Choose([], null, Address));
        Assert.Contains("offers no single sign-on", e.Message, StringComparison.Ordinal);
        Assert.Contains("--user NAME", e.Message, StringComparison.Ordinal);
    }
}
