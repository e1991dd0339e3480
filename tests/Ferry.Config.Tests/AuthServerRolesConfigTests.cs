namespace Ferry.Config.Tests;

/// <summary>
/// An HA auth server's settings: <c>auth.server_id</c> (its own name in audit events), <c>proxy.enabled: false</c>
/// beside an auth section (an auth-only server), and <c>proxy.max_tunnel_handshakes</c>.
/// </summary>
public sealed class AuthServerRolesConfigTests
{
    [Fact]
    public void ServerId_IsReadWhenSet_AndAbsentByDefault()
    {
        Assert.Equal("auth-eu-1", FerryConfigParser.Parse("auth:\n  server_id: auth-eu-1\n").Auth!.ServerId);
        Assert.Null(FerryConfigParser.Parse("auth: {}\n").Auth!.ServerId);
    }

    [Theory]
    [InlineData("auth:\n  server_id: \"Auth 1\"\n")]
    [InlineData("auth:\n  server_id: \"\"\n")]
    public void ServerId_OutsideTheNameRules_IsRefused(string yaml)
    {
        var e = Assert.Throws<ConfigException>(() => FerryConfigParser.Parse(yaml, "f.yaml"));
        Assert.Contains("server_id", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ProxyEnabledFalse_BesideAuth_MakesAnAuthOnlyServer()
    {
        var authOnly = FerryConfigParser.Parse("auth: {}\nproxy:\n  enabled: false\n");
        Assert.NotNull(authOnly.Auth);
        Assert.Null(authOnly.Proxy);
        Assert.False(authOnly.ProxyEnabled);

        // Without a proxy section the auth server runs its proxy with the defaults, as before.
        var withProxy = FerryConfigParser.Parse("auth: {}\n");
        Assert.Null(withProxy.Proxy);
        Assert.True(withProxy.ProxyEnabled);
        Assert.True(FerryConfigParser.Parse("auth: {}\nproxy: { enabled: true }\n").ProxyEnabled);
    }

    [Fact]
    public void MaxTunnelHandshakes_DefaultsTo64_AndIsBounded()
    {
        Assert.Equal(64, FerryConfigParser.Parse("proxy: {}\n").Proxy!.MaxTunnelHandshakes);
        Assert.Equal(8, FerryConfigParser.Parse("proxy: { max_tunnel_handshakes: 8 }\n").Proxy!.MaxTunnelHandshakes);
        var e = Assert.Throws<ConfigException>(() => FerryConfigParser.Parse("proxy: { max_tunnel_handshakes: 0 }\n", "f.yaml"));
        Assert.Contains("max_tunnel_handshakes", e.Message, StringComparison.Ordinal);
    }
}
