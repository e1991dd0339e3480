using System.Buffers;
using System.Text;
using Ferry.Protocol.MySql.Handshake;
using Ferry.Protocol.MySql.Packets;
using Ferry.Proxy;
using Ferry.Proxy.MySql;
using Ferry.Contracts;

namespace Ferry.Proxy.Tests.MySql;

/// <summary>The proxy's MySQL greeting without a network: version choice and what it offers.</summary>
public sealed class MySqlGreetingTests
{
    private sealed class FakeTunnel(string id) : IAgentTunnel
    {
        public string AgentId => id;

        public bool IsAlive => true;

        public Task<Stream> OpenStreamAsync(CancellationToken ct) => throw new NotSupportedException();
    }

    private static AgentRegistry Registry(params (string Name, string Protocol, string Version)[] databases)
    {
        var registry = new AgentRegistry();
        registry.Register(new FakeTunnel("a1"), new AgentHeartbeat
        {
            AgentId = "a1",
            Databases = [.. databases.Select(d => new DatabaseEntry { Name = d.Name, Protocol = d.Protocol, ServerVersion = d.Version })],
        });
        return registry;
    }

    [Fact]
    public void ServerVersion_IsTheOneAgentsReport_ForTheRoutedDatabaseWhenKnown()
    {
        var registry = Registry(("pg1", "postgres", "15.1"), ("my1", "mysql", "5.5.5-10.11.19-MariaDB"), ("my2", "mysql", "8.0.36"));
        Assert.Equal("5.5.5-10.11.19-MariaDB", MySqlGreeting.ServerVersion(registry));
        Assert.Equal("8.0.36", MySqlGreeting.ServerVersion(registry, "my2"));
    }

    [Fact]
    public void ServerVersion_WithoutAnyReport_IsTheFerryDefault()
    {
        Assert.Equal(MySqlGreeting.DefaultServerVersion, MySqlGreeting.ServerVersion(Registry(("my1", "mysql", ""))));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Greeting_OffersTlsOnlyWhenNotAlreadyInsideTls_AndNativePasswordAuth(bool tlsAlready)
    {
        var w = new ArrayBufferWriter<byte>();
        MySqlGreeting.Write(w, "8.0.36", 1u << 30, MySqlGreeting.NewScramble(), tlsAlready);
        var greeting = HandshakeV10.Read(new ReadOnlySequence<byte>(w.WrittenMemory[4..]));
        Assert.Equal("8.0.36", Encoding.UTF8.GetString(greeting.ServerVersion.ToArray()));
        Assert.Equal(1u << 30, greeting.ConnectionId);
        Assert.Equal(!tlsAlready, (greeting.Capabilities & MySqlCapabilities.Ssl) != 0);
        Assert.Equal(0, (int)(greeting.Capabilities & (MySqlCapabilities.Compress | MySqlCapabilities.LocalFiles)));
        Assert.Equal(20, greeting.ScrambleByteCount);
        Assert.Equal("mysql_native_password", Encoding.ASCII.GetString(greeting.AuthPluginName.ToArray()));
    }

    [Fact]
    public void ConnectionIds_AreAboveEveryRealThreadIdRange()
    {
        for (var i = 0; i < 1000; i++)
        {
            Assert.InRange(MySqlGreeting.NewConnectionId(), 1u << 30, (uint)int.MaxValue);
        }
    }

    [Fact]
    public void Greeting_AdvertisesTheReportedDefaultCollation_ElseUtf8mb4GeneralCi()
    {
        var registry = new AgentRegistry();
        registry.Register(new FakeTunnel("a1"), new AgentHeartbeat
        {
            AgentId = "a1",
            Databases = [new DatabaseEntry { Name = "my1", Protocol = "mysql", ServerVersion = "5.5.5-10.11.19-MariaDB", Collation = 8 },
                new DatabaseEntry { Name = "my2", Protocol = "mysql", ServerVersion = "8.0.36" }],
        });
        Assert.Equal(("5.5.5-10.11.19-MariaDB", (byte)8), MySqlGreeting.Server(registry, "my1"));
        Assert.Equal(("8.0.36", MySqlGreeting.CharacterSet), MySqlGreeting.Server(registry, "my2"));

        var w = new ArrayBufferWriter<byte>();
        var (version, collation) = MySqlGreeting.Server(registry, "my1");
        MySqlGreeting.Write(w, version, 1u << 30, MySqlGreeting.NewScramble(), false, collation);
        var greeting = HandshakeV10.Read(new ReadOnlySequence<byte>(w.WrittenSpan[4..].ToArray()));
        Assert.Equal(8, greeting.CharacterSet);
    }
}
