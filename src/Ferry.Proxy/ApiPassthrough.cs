using System.Net;
using System.Net.Sockets;

namespace Ferry.Proxy;

/// <summary>
/// HTTPS API connections on port 3080 are passed through to the auth service with their TLS
/// untouched (the auth service's host certificate answers), so clients and agents behind NAT
/// need only the proxy's address.
/// </summary>
internal static class ApiPassthrough
{
    public static async Task RunAsync(Stream client, EndPoint auth, CancellationToken ct)
    {
        await using var _ = client;
        using var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await upstream.ConnectAsync(auth, ct);
        }
        catch (SocketException)
        {
            return;
        }
        await using var server = new NetworkStream(upstream, ownsSocket: false);
        await Pump.BothWaysAsync(client, server, ct);
    }
}
