using System.Net;

namespace Ferry.Client.Tests;

public sealed class ProxyAddressTests
{
    [Theory]
    [InlineData("ferry.example.com", "ferry.example.com", 3080)]
    [InlineData("ferry.example.com:443", "ferry.example.com", 443)]
    [InlineData("127.0.0.1:3080", "127.0.0.1", 3080)]
    [InlineData("[::1]:4000", "::1", 4000)]
    [InlineData("[::1]", "::1", 3080)]
    [InlineData("https://ferry.example.com:3080/", "ferry.example.com", 3080)]
    public void Parse_AcceptsTheUsualForms(string text, string host, int port)
    {
        var address = ProxyAddress.Parse(text);
        Assert.Equal(host, address.Host);
        Assert.Equal(port, address.Port);
    }

    [Theory]
    [InlineData("")]
    [InlineData("host:0")]
    [InlineData("host:70000")]
    [InlineData("host:abc")]
    [InlineData(":3080")]
    public void Parse_Invalid_ThrowsAClientError(string text)
    {
        Assert.Throws<FerryClientException>(() => ProxyAddress.Parse(text));
    }

    [Fact]
    public void ToString_BracketsIPv6()
    {
        Assert.Equal("[::1]:3080", new ProxyAddress("::1", 3080).ToString());
        Assert.Equal("https://[::1]:3080/", new ProxyAddress("::1", 3080).ApiBase.ToString());
    }

    [Fact]
    public void MatchesNames_ComparesIpsAsIpsAndNamesWithOneLabelWildcards()
    {
        Assert.True(ProxyAddress.Parse("127.0.0.1:3080").MatchesNames(["localhost"], [IPAddress.Loopback]));
        Assert.False(ProxyAddress.Parse("10.0.0.1:3080").MatchesNames(["10.0.0.1"], [IPAddress.Loopback]));
        Assert.True(ProxyAddress.Parse("Ferry.Example.com").MatchesNames(["ferry.example.com"], []));
        Assert.True(ProxyAddress.Parse("a.example.com").MatchesNames(["*.example.com"], []));
        Assert.False(ProxyAddress.Parse("a.b.example.com").MatchesNames(["*.example.com"], []));
        Assert.False(ProxyAddress.Parse("example.com").MatchesNames(["*.example.com"], []));
    }
}
