using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Ferry.Wire;
using Ferry.Wire.Postgres;

namespace Ferry.Client.Tests;

/// <summary>The PostgreSQL client ferryd and <c>ferry bench</c> run, against a scripted server on a loopback socket.</summary>
public sealed class WireClientTests
{
    [Fact]
    public async Task AServerMessageReadAheadOfTheNextStatement_DoesNotStopTheClientFromSending()
    {
        // A ParameterStatus (or a notification) arriving in the same segment right after ReadyForQuery sits unread in
        // the client's read buffer when it sends its next statement. That used to fail the write with
        // NotSupportedException ("cannot write to a BufferedStream while the read buffer is not empty"); found by the
        // wire-postgres fuzz target.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var server = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            var length = new byte[4];
            await stream.ReadExactlyAsync(length);
            await stream.ReadExactlyAsync(new byte[BinaryPrimitives.ReadInt32BigEndian(length) - 4]); // the startup message
            await stream.WriteAsync(Concat(Message('R', [0, 0, 0, 0]), Message('Z', "I"u8.ToArray()), Message('S', "application_name\0late\0"u8.ToArray())));
            var header = new byte[5];
            await stream.ReadExactlyAsync(header);
            Assert.Equal((byte)'Q', header[0]);
            await stream.ReadExactlyAsync(new byte[BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1)) - 4]);
            await stream.WriteAsync(Concat(Message('C', "SELECT 0\0"u8.ToArray()), Message('Z', "I"u8.ToArray())));
        });

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        await using var wire = await PostgresWireClient.StartAsync(client.GetStream(), new PostgresStartup("u", "d", "test"), CancellationToken.None);
        var sink = new Tags();
        await wire.QueryAsync("select 1 where false", sink, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["SELECT 0"], sink.Completed);
        await server.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static byte[] Message(char code, byte[] payload)
    {
        var message = new byte[5 + payload.Length];
        message[0] = (byte)code;
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(1), 4 + payload.Length);
        payload.CopyTo(message, 5);
        return message;
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    private sealed class Tags : WireResultSink
    {
        public List<string> Completed { get; } = [];

        public override void OnComplete(string tag) => Completed.Add(tag);
    }
}
