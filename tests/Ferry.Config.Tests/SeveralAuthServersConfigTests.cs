namespace Ferry.Config.Tests;

/// <summary>Several auth servers: <c>proxy.auth_addr</c> as one address or a list; <c>auth.ca_key_encryption</c> with a postgres backend.</summary>
public sealed class SeveralAuthServersConfigTests
{
    [Fact]
    public void AuthAddr_IsOneAddressOrAList()
    {
        var one = FerryConfigParser.Parse("proxy: { auth_addr: auth1:3025 }\n");
        Assert.Equal("auth1:3025", one.Proxy!.AuthAddr);
        Assert.Equal(["auth1:3025"], one.Proxy.AuthAddrs);

        var two = FerryConfigParser.Parse("proxy:\n  auth_addr: [auth1:3025, 10.0.0.2:3025]\n");
        Assert.Equal("auth1:3025", two.Proxy!.AuthAddr);
        Assert.Equal(["auth1:3025", "10.0.0.2:3025"], two.Proxy.AuthAddrs);

        Assert.Equal(["127.0.0.1:3025"], FerryConfigParser.Parse("proxy: {}\n").Proxy!.AuthAddrs);
    }

    [Theory]
    [InlineData("proxy:\n  auth_addr: [auth1:3025, nope]\n", "expected host:port, got 'nope'")]
    [InlineData("proxy:\n  auth_addr: [a:1, a:1]\n", "lists an address twice")]
    [InlineData("proxy:\n  auth_addr: []\n", "1 to 16")]
    public void AuthAddr_BadLists_AreRefused(string yaml, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => FerryConfigParser.Parse(yaml, "f.yaml"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains("auth_addr", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PostgresBackend_NeedsCaKeyEncryption()
    {
        var e = Assert.Throws<ConfigException>(() => FerryConfigParser.Parse("auth:\n  backend: { type: postgres, conn_string: \"Host=db\" }\n", "f.yaml"));
        Assert.Contains("auth.ca_key_encryption", e.Message, StringComparison.Ordinal);

        var c = FerryConfigParser.Parse("auth:\n  backend: { type: postgres, conn_string: \"Host=db\" }\n  ca_key_encryption: { key_env: FERRY_CA_KEY }\n");
        Assert.Equal("FERRY_CA_KEY", c.Auth!.Backend.CaKeyEncryption!.KeyEnv);
        Assert.Null(c.Auth.Backend.CaKeyEncryption.KeyFile);
    }

    [Theory]
    [InlineData("  ca_key_encryption: { key_file: /k, key_env: K }\n", "exactly one of key_file")]
    [InlineData("  ca_key_encryption: {}\n", "exactly one of key_file")]
    [InlineData("  ca_key_encryption: { key_env: \"abc=/def\" }\n", "not the key itself")]
    public void CaKeyEncryption_BadValues_AreRefused(string section, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => FerryConfigParser.Parse("auth:\n  backend: { type: postgres, conn_string: \"Host=db\" }\n" + section, "f.yaml"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
