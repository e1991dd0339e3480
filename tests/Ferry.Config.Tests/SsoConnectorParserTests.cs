namespace Ferry.Config.Tests;

public sealed class SsoConnectorParserTests
{
    private const string Valid = """
        auth:
          sso:
            - name: okta
              display_name: Okta
              issuer_url: https://example.okta.com
              client_id: 0oa1
              client_secret_file: /etc/ferry/okta.secret
              redirect_url: https://proxy.example.com:3080/v1/sso/callback
              claims_to_roles:
                - { claim: groups, value: "db-*", roles: [dba] }
              mfa: { amr: [mfa, otp] }
        """;

    [Fact]
    public void Parse_FullConnector_ReadsEveryKeyAndDefaults()
    {
        var c = Assert.Single(FerryConfigParser.Parse(Valid).Auth!.Sso);

        Assert.Equal("okta", c.Name);
        Assert.Equal("oidc", c.Kind);
        Assert.Equal("Okta", c.ShownName);
        Assert.Equal(["openid", "email", "profile"], c.Scopes);
        Assert.Equal("email", c.UsernameClaim);
        Assert.Equal("/etc/ferry/okta.secret", c.ClientSecretFile);
        Assert.Equal(["mfa", "otp"], c.Mfa!.Amr);
        Assert.Equal("db-*", c.ClaimsToRoles[0].Value);
    }

    [Theory]
    [InlineData("issuer_url: https://example.okta.com", "issuer_url: http://idp.example.com", "issuer_url: must use https")]
    [InlineData("issuer_url: https://example.okta.com", "issuer_url: http://127.0.0.1:8080", null)]
    [InlineData("redirect_url: https://proxy.example.com:3080/v1/sso/callback", "redirect_url: https://proxy.example.com/cb", "must end with /v1/sso/callback")]
    [InlineData("client_id: 0oa1", "", "client_id: is required")]
    [InlineData("- { claim: groups, value: \"db-*\", roles: [dba] }", "- { claim: groups, value: \"db-*\" }", "roles: is required")]
    [InlineData("mfa: { amr: [mfa, otp] }", "mfa: { }", "lists no amr or acr")]
    [InlineData("name: okta", "name: Okta!", "name: 'Okta!' must be")]
    [InlineData("display_name: Okta", "scopes: [email]", "must include openid")]
    [InlineData("display_name: Okta", "kind: saml", "the only kind is oidc")]
    [InlineData("display_name: Okta", "colour: blue", "unknown key")]
    public void Parse_BadValue_NamesTheKeyAndTheFix(string from, string to, string? expected)
    {
        var text = Valid.Replace(from, to, StringComparison.Ordinal);
        if (expected is null)
        {
            Assert.Single(FerryConfigParser.Parse(text).Auth!.Sso);
            return;
        }

        var e = Assert.Throws<ConfigException>(() => FerryConfigParser.Parse(text));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains("ferry.yaml:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EmptyClaimsToRoles_IsRefusedBecauseNobodyCouldLogIn()
    {
        var text = Valid.Replace("""
                  claims_to_roles:
                    - { claim: groups, value: "db-*", roles: [dba] }

            """, "", StringComparison.Ordinal);

        var e = Assert.Throws<ConfigException>(() => FerryConfigParser.Parse(text));
        Assert.Contains("claims_to_roles", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SameNameTwice_IsRefused()
    {
        var entry = Valid[(Valid.IndexOf("    - name", StringComparison.Ordinal))..];
        var e = Assert.Throws<ConfigException>(() => FerryConfigParser.Parse(Valid + "\n" + entry));

        Assert.Contains("listed twice", e.Message, StringComparison.Ordinal);
    }
}
