using Ferry.Client.Bench;

namespace Ferry.Client.Tests.Bench;

public sealed class BenchArgumentTests
{
    [Fact]
    public void Options_WithinBounds_Validate()
    {
        Assert.Null(new BenchOptions().Validate());
        Assert.Null(new BenchOptions { Clients = BenchOptions.MaxClients, Duration = TimeSpan.FromHours(24), Rate = 1 }.Validate());
    }

    [Theory]
    [InlineData(0, 30, null, "SELECT 1", "--clients must be 1-1024")]
    [InlineData(1025, 30, null, "SELECT 1", "--clients must be 1-1024")]
    [InlineData(8, 0, null, "SELECT 1", "--duration must be more than 0 and at most 24h")]
    [InlineData(8, 86401, null, "SELECT 1", "--duration must be more than 0 and at most 24h")]
    [InlineData(8, 30, 0.0, "SELECT 1", "--rate must be more than 0 and at most 1000000 transactions per second")]
    [InlineData(8, 30, -3.0, "SELECT 1", "--rate must be more than 0 and at most 1000000 transactions per second")]
    [InlineData(8, 30, null, "  ", "--query is empty")]
    public void Options_OutOfBounds_NameTheOption(int clients, int seconds, double? rate, string query, string expected) =>
        Assert.Equal(expected, new BenchOptions { Clients = clients, Duration = TimeSpan.FromSeconds(seconds), Rate = rate, Query = query }.Validate());

    [Fact]
    public void Options_QueryTooLong_IsRefused() =>
        Assert.Equal("--query is longer than 65536 characters", new BenchOptions { Query = new string('x', BenchOptions.MaxQueryLength + 1) }.Validate());

    [Fact]
    public void Postgres_KeyValue_WithQuotesSocketAndDefaults()
    {
        var c = DirectConnection.Parse("host=/tmp/pg port=5433 user=app password='a b\\'c'", _ => null);
        Assert.Equal(DatabaseProtocols.Postgres, c.Protocol);
        Assert.Equal("/tmp/pg/.s.PGSQL.5433", c.SocketPath);
        Assert.Equal("a b'c", c.Password);
        Assert.Equal("app", c.Database);
        Assert.Equal(DirectTlsMode.Disable, c.Tls);

        var tcp = DirectConnection.Parse("host=db.example port=5432 user=u dbname=d sslmode=verify-full sslrootcert=/ca.pem", _ => null);
        Assert.Null(tcp.SocketPath);
        Assert.Equal(DirectTlsMode.VerifyFull, tcp.Tls);
        Assert.Equal("/ca.pem", tcp.RootCertificateFile);
        Assert.Equal(DirectTlsMode.Prefer, DirectConnection.Parse("host=h user=u", _ => null).Tls);
    }

    [Fact]
    public void Uris_ForBothProtocols_AndThePasswordFromTheEnvironment()
    {
        var pg = DirectConnection.Parse("postgresql://alice:s%40cret@127.0.0.1:6543/app?sslmode=require", _ => null);
        Assert.Equal(("alice", "s@cret", "127.0.0.1", 6543, "app", DirectTlsMode.Require), (pg.User, pg.Password, pg.Host, pg.Port, pg.Database, pg.Tls));

        var my = DirectConnection.Parse("mysql://bob@db:3307/shop?ssl-mode=VERIFY_CA&ssl-ca=/ca.pem", name => name == "MYSQL_PWD" ? "pw" : null);
        Assert.Equal((DatabaseProtocols.MySql, "bob", "pw", "db", 3307, "shop", DirectTlsMode.VerifyCa), (my.Protocol, my.User, my.Password, my.Host, my.Port, my.Database, my.Tls));
        Assert.Equal("/ca.pem", my.RootCertificateFile);
    }

    [Theory]
    [InlineData("host=h port=99999", "port=99999 is not a port (1-65535)")]
    [InlineData("host=h sslmode=sometimes", "sslmode=sometimes is not one of disable, allow, prefer, require, verify-ca, verify-full")]
    [InlineData("host=h gssencmode=require", "unknown PostgreSQL connection parameter \"gssencmode\"")]
    [InlineData("host=h password='open", "the value of password has no closing quote")]
    [InlineData("justaword", "\"justaword\" is not key=value")]
    [InlineData("redis://h", "unknown connection string scheme \"redis://\"")]
    [InlineData("mysql://u@h/d?ssl-mode=MAYBE", "ssl-mode=MAYBE is not one of DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY")]
    public void ConnectionStrings_WithMistakes_AreRefusedNamingThem(string text, string expected)
    {
        var e = Assert.Throws<FerryClientException>(() => DirectConnection.Parse(text, _ => null));
        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConnectionString_TooLong_IsRefused() =>
        Assert.Contains("longer than 4096", Assert.Throws<FerryClientException>(() => DirectConnection.Parse("host=" + new string('h', 5000))).Message);
}
