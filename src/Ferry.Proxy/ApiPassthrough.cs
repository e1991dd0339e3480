using System.Net;
using System.Net.Sockets;
using Ferry.Contracts;
using Ferry.Diagnostics;

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
        using var upstream = await ConnectAsync(ctx, remote, auth, ct);
        if (upstream is null)
        {
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

    /// <summary>
    /// Connects to the auth server that last accepted, else to the next of <see cref="ProxyContext.AuthApiFallbackEndPoints"/>
    /// (each within 3 s, a short jittered pause between), logging and counting a failover. Null when none accepts.
    /// </summary>
    private static async Task<Socket?> ConnectAsync(ProxyContext ctx, IPEndPoint remote, EndPoint auth, CancellationToken ct)
    {
        EndPoint[] all = [auth, .. ctx.AuthApiFallbackEndPoints];
        var start = Volatile.Read(ref ctx.AuthApiPreferred) % all.Length;
        string? error = null;
        for (var i = 0; i < all.Length; i++)
        {
            var index = (start + i) % all.Length;
            if (i > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50 + Random.Shared.Next(0, 200)), ct);
            }

            var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
                attempt.CancelAfter(TimeSpan.FromSeconds(3));
                await upstream.ConnectAsync(all[index], attempt.Token);
                if (index != start && Interlocked.CompareExchange(ref ctx.AuthApiPreferred, index, start) == start)
                {
                    FerryMetrics.AuthFailover("proxy_passthrough");
                    ProxyLog.ApiPassthroughFailover(ctx.Log, all[start].ToString() ?? "", all[index].ToString() ?? "", error ?? "");
                }

                return upstream;
            }
            catch (Exception e) when (e is SocketException || (e is OperationCanceledException && !ct.IsCancellationRequested))
            {
                upstream.Dispose();
                error = e is SocketException ? e.Message : "no answer within 3 s";
            }
            catch
            {
                upstream.Dispose();
                throw;
            }
        }

        ProxyLog.ApiPassthroughFailed(ctx.Log, remote.ToString(), error ?? "");
        return null;
    }
}
