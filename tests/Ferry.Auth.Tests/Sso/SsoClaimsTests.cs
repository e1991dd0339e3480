using System.Text.Json;
using Ferry.Auth.Sso;
using Ferry.Config;

namespace Ferry.Auth.Tests.Sso;

public sealed class SsoClaimsTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    private static SsoConnectorConfig Connector(string usernameClaim = "email", SsoMfaClaims? mfa = null) => new()
    {
        Name = "idp",
        IssuerUrl = "https://idp.example.com",
        ClientId = "c",
        RedirectUrl = "https://proxy.example.com/v1/sso/callback",
        UsernameClaim = usernameClaim,
        Mfa = mfa,
        ClaimsToRoles =
        [
            new ClaimRoleRule { Claim = "groups", Value = "db-*", Roles = ["dba"] },
            new ClaimRoleRule { Claim = "email", Value = "*@example.com", Roles = ["staff", "dba"] },
            new ClaimRoleRule { Claim = "groups", Value = "nobody", Roles = ["never"] },
        ],
    };

    private static JsonElement Claims(string json) => JsonDocument.Parse(json).RootElement.Clone();

    [Fact]
    public void Map_GlobOnArrayElementsAndStrings_GivesEachRoleOnceWithTheClaimsThatMapped()
    {
        var mapped = SsoClaims.Map(Connector(), Claims("""{"sub":"1","email":"alice@example.com","groups":["staff","db-admins"]}"""), Now, Now);

        Assert.Equal("alice@example.com", mapped.User);
        Assert.Equal(["dba", "staff"], mapped.Roles);
        Assert.Equal(["groups=db-admins", "email=alice@example.com"], mapped.MatchedRules);
    }

    [Fact]
    public void Map_NoRuleMatching_GivesNoRole()
    {
        var mapped = SsoClaims.Map(Connector(), Claims("""{"sub":"1","email":"m@other.org","groups":["contractors"]}"""), Now, Now);

        Assert.Empty(mapped.Roles);
    }

    [Fact]
    public void Map_ClaimsBecomeExternalTraits_ButNotProtocolClaimsOrOddNames()
    {
        var mapped = SsoClaims.Map(Connector(), Claims("""
            {"sub":"1","iss":"x","aud":"c","nonce":"n","email":"a@example.com","groups":["g1","g2", 7],"db_users":["alice_db"],
             "https://example.com/claims/team":"x","age":42,"nested":{"a":"b"}}
            """), Now, Now);

        Assert.Equal(["g1", "g2"], mapped.Traits["external.groups"]);
        Assert.Equal(["alice_db"], mapped.Traits["external.db_users"]);
        Assert.Equal(["1"], mapped.Traits["external.sub"]);
        Assert.False(mapped.Traits.ContainsKey("external.iss"));
        Assert.False(mapped.Traits.ContainsKey("external.nonce"));
        Assert.False(mapped.Traits.ContainsKey("external.age"));
        Assert.False(mapped.Traits.ContainsKey("external.nested"));
        Assert.DoesNotContain(mapped.Traits.Keys, k => k.Contains('/', StringComparison.Ordinal));
        Assert.All(mapped.Traits.Keys, k => Assert.StartsWith("external.", k, StringComparison.Ordinal));
    }

    [Fact]
    public void Map_ManyAndLongClaims_AreBounded()
    {
        var members = string.Join(",", Enumerable.Range(0, 200).Select(i => $"\"c{i:D3}\":[{string.Join(",", Enumerable.Range(0, 100).Select(j => $"\"v{j}\""))}]"));
        var mapped = SsoClaims.Map(Connector(), Claims($$"""{"sub":"1","email":"a@example.com","long":"{{new string('x', 300)}}",{{members}}}"""), Now, Now);

        Assert.True(mapped.Traits.Count <= SsoClaims.MaxTraits);
        Assert.All(mapped.Traits.Values, v => Assert.True(v.Count <= SsoClaims.MaxValuesPerTrait));
        Assert.False(mapped.Traits.ContainsKey("external.long"));
        Assert.True(mapped.Traits.Sum(t => t.Key.Length + t.Value.Sum(v => v.Length + 4)) <= SsoClaims.MaxTraitBytes + 1024);
    }

    [Fact]
    public void Map_WithoutTheUsernameClaim_FallsBackToSub()
    {
        var mapped = SsoClaims.Map(Connector(), Claims("""{"sub":"248289761001","groups":["db-x"]}"""), Now, Now);

        Assert.Equal("248289761001", mapped.User);
    }

    [Fact]
    public void Map_UnverifiedEmail_IsRefused()
    {
        var failure = Assert.Throws<SsoFailure>(() => SsoClaims.Map(Connector(), Claims("""{"sub":"1","email":"a@example.com","email_verified":false}"""), Now, Now));

        Assert.Equal(SsoFailure.Reasons.NoUser, failure.Reason);
        Assert.Contains("not verified", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_UnusableUserName_NamesUsernameClaim()
    {
        var failure = Assert.Throws<SsoFailure>(() => SsoClaims.Map(Connector("name"), Claims("""{"sub":"1","name":"Alice Liddell"}"""), Now, Now));

        Assert.Contains("username_claim", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_MfaClaims_CountOnlyWhenTrustedAndFresh()
    {
        var trusted = Connector(mfa: new SsoMfaClaims { Amr = ["otp", "hwk"], Acr = ["urn:mfa"] });
        var amr = Claims($$"""{"sub":"1","amr":["pwd","otp"],"auth_time":{{Now.ToUnixTimeSeconds()}}}""");
        var acr = Claims($$"""{"sub":"1","acr":"urn:mfa","auth_time":{{Now.ToUnixTimeSeconds()}}}""");
        var stale = Claims($$"""{"sub":"1","amr":["otp"],"auth_time":{{Now.AddHours(-1).ToUnixTimeSeconds()}}}""");
        var pwd = Claims($$"""{"sub":"1","amr":["pwd"],"auth_time":{{Now.ToUnixTimeSeconds()}}}""");

        Assert.True(SsoClaims.Map(trusted, amr, Now, Now).MfaClaimed);
        Assert.True(SsoClaims.Map(trusted, acr, Now, Now).MfaClaimed);
        Assert.False(SsoClaims.Map(trusted, stale, Now, Now).MfaClaimed);
        Assert.False(SsoClaims.Map(trusted, pwd, Now, Now).MfaClaimed);
        Assert.False(SsoClaims.Map(Connector(), amr, Now, Now).MfaClaimed);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000/callback", true)]
    [InlineData("http://[::1]:5000/cb", true)]
    [InlineData("http://localhost:5000/", true)]
    [InlineData("https://127.0.0.1:5000/callback", false)]
    [InlineData("http://evil.example.com:5000/callback", false)]
    [InlineData("http://127.0.0.1/callback", false)]
    [InlineData("http://127.0.0.1:5000/callback?x=1", false)]
    [InlineData("http://user@127.0.0.1:5000/callback", false)]
    [InlineData("http://127.0.0.1.evil.com:5000/", false)]
    [InlineData("", false)]
    public void CheckLoopbackRedirect_AcceptsOnlyLoopbackHttpWithAPort(string url, bool ok) =>
        Assert.Equal(ok, AuthService.CheckLoopbackRedirect(url) is null);
}
