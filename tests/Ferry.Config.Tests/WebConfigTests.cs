namespace Ferry.Config.Tests;

public sealed class WebConfigTests
{
    [Fact]
    public void WebSection_IsParsed()
    {
        var config = FerryConfigParser.Parse("web:\n  idle_timeout: 10m\n  session_ttl: 2h\n  proxy_addr: proxy.example:3080\n", "f.yaml");
        Assert.True(config.Web!.Enabled);
        Assert.Equal(TimeSpan.FromMinutes(10), config.Web.IdleTimeout);
        Assert.Equal(TimeSpan.FromHours(2), config.Web.SessionTtl);
        Assert.Equal("proxy.example:3080", config.Web.ProxyAddr);
    }

    [Fact]
    public void WithoutAWebSection_TheDefaultsApply()
    {
        var config = FerryConfigParser.Parse("cluster_name: a\n", "f.yaml");
        Assert.Null(config.Web);
        Assert.Equal(TimeSpan.FromMinutes(15), new WebSection().IdleTimeout);
        Assert.Equal(TimeSpan.FromHours(8), new WebSection().SessionTtl);
    }

    [Theory]
    [InlineData("web:\n  idle_timeout: 10s\n", "f.yaml:2:17", "web.idle_timeout", "between 1m and 24h")]
    [InlineData("web:\n  session_ttl: 31d\n", "f.yaml:2:16", "web.session_ttl", "between 5m and 30d")]
    [InlineData("web:\n  idle_timeout: 2h\n  session_ttl: 1h\n", "f.yaml:3:16", "web.session_ttl", "at least web.idle_timeout")]
    [InlineData("web:\n  proxy_addr: nowhere\n", "f.yaml:2:15", "web.proxy_addr", "host:port")]
    [InlineData("web:\n  idle: 1m\n", "f.yaml:2:3", "web.idle", "")]
    public void BadWebValues_NameTheKeyLineAndColumn(string yaml, string at, string key, string message)
    {
        var e = Assert.Throws<ConfigException>(() => FerryConfigParser.Parse(yaml, "f.yaml"));
        Assert.Contains(at, e.Message, StringComparison.Ordinal);
        Assert.Contains(key, e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }
}
