using System.Net;
using System.Net.Sockets;
using Ferry.Contracts;

namespace Ferry.Proxy;

/// <summary>
/// HTTPS API connections on port 3080 are passed through to the auth service with their TLS
/// untouched (the auth service's host certificate answers), so clients and agents behind NAT
/// need only the proxy's address. Each passed-through connection starts with a PROXY protocol v2
/// header signed with this proxy's host key (<see cref="ProxyProtocolHeader"/>), so the auth
/// service throttles and audits logins by the real client address, not the proxy's.
/// </summary>
internal static class ApiPassthrough
{
    public static async Task RunAsync(ProxyContext ctx, Stream client, IPEndPoint remote, IPEndPoint local, EndPoint auth, CancellationToken ct)
    {
        await using var _ = client;
        using var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await upstream.ConnectAsync(auth, ct);
        }
        catch (SocketException e)
        {
            ProxyLog.ApiPassthroughFailed(ctx.Log, remote.ToString(), e.Message);
            return;
        }
        await using var server = new NetworkStream(upstream, ownsSocket: false);
        var header = ProxyProtocolHeader.Create(remote, local, ctx.ServerCertificate.TargetCertificate, ctx.Time.GetUtcNow());
        try
        {
            await server.WriteAsync(header, ct);
        }
        catch (IOException e)
        {
            ProxyLog.ApiPassthroughFailed(ctx.Log, remote.ToString(), e.Message);
            return;
        }
        await Pump.BothWaysAsync(client, server, ct);
    }
}
