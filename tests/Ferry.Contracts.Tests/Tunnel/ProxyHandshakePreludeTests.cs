using System.Buffers;
using Ferry.Protocol.MySql.Handshake;
using Ferry.Protocol.MySql.Packets;

namespace Ferry.Contracts.Tests.Tunnel;

public sealed class ProxyHandshakePreludeTests
{
    [Fact]
    public void Prelude_RoundTrips_WithTheClientsHandshakeResponse()
    {
        var w = new ArrayBufferWriter<byte>();
        HandshakeResponse41.Write(w, 2, MySqlCapabilities.PluginAuth | MySqlCapabilities.ConnectWithDb, 1 << 24, 45, "alice"u8, [], "app"u8, "mysql_native_password"u8, []);
        var payload = w.WrittenSpan[4..].ToArray();
        var prelude = new ProxyHandshakePrelude(3, 0x4000_0007, payload);

        var decoded = ProxyHandshakePrelude.Decode(prelude.Encode());

        Assert.Equal(3, decoded.NextSequenceId);
        Assert.Equal(0x4000_0007u, decoded.ConnectionId);
        var response = HandshakeResponse41.Read(new ReadOnlySequence<byte>(decoded.HandshakeResponse));
        Assert.Equal("alice"u8.ToArray(), response.User.ToArray());
        Assert.Equal("app"u8.ToArray(), response.Schema.ToArray());
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 1, 2, 3 })]
    [InlineData(new byte[] { 9, 1, 0, 0, 0, 0 })]
    public void Prelude_TruncatedOrOfAnotherVersion_IsRejected(byte[] bytes)
    {
        Assert.Throws<InvalidDataException>(() => ProxyHandshakePrelude.Decode(bytes));
    }
}
