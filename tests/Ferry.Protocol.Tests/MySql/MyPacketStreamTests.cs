using Ferry.Protocol.MySql;
using Ferry.Protocol.MySql.Packets;

namespace Ferry.Protocol.Tests.MySql;

public sealed class MyPacketStreamTests
{
    [Fact]
    public async Task PacketStream_ReadsWhatItWrote_AndRefusesAnOversizedHeader()
    {
        var stream = new MemoryStream();
        await MySqlPacketStream.WriteAsync(stream, 7, "hello"u8.ToArray(), CancellationToken.None);
        stream.Position = 0;
        var packet = await MySqlPacketStream.ReadAsync(stream, 100, CancellationToken.None);
        Assert.NotNull(packet);
        Assert.Equal(7, packet.Value.SequenceId);
        Assert.Equal("hello"u8.ToArray(), packet.Value.Payload);
        Assert.Null(await MySqlPacketStream.ReadAsync(stream, 100, CancellationToken.None));

        var big = new MemoryStream([0x00, 0x10, 0x00, 0]);
        await Assert.ThrowsAsync<MySqlProtocolException>(async () => await MySqlPacketStream.ReadAsync(big, 100, CancellationToken.None));
    }
}
