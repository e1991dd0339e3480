using System.Net;
using System.Net.Sockets;

namespace Ferry.Contracts.Tests;

/// <summary>The auth API client's failover between several addresses, against real loopback sockets.</summary>
public sealed class AuthAddressFailoverTests
{
    [Fact]
    public async Task ARefusingFirstAddress_FailsOverToTheNext_TellsOnce_AndPrefersTheNextAfterwards()
    {
        var refused = ClosedPort();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var live = ((IPEndPoint)listener.LocalEndpoint).Port;
        var failovers = new List<(string From, string To, string Why)>();
        var failover = new AuthAddressFailover([$"127.0.0.1:{refused}", $"127.0.0.1:{live}"], TimeSpan.FromSeconds(10), (f, t, w) => failovers.Add((f, t, w)));

        await using (var first = await failover.ConnectAsync(null!, default))
        {
            using var accepted = await listener.AcceptSocketAsync();
            Assert.True(accepted.Connected);
        }

        var (from, to, _) = Assert.Single(failovers);
        Assert.Equal($"127.0.0.1:{refused}", from);
        Assert.Equal($"127.0.0.1:{live}", to);
        Assert.Equal($"127.0.0.1:{live}", failover.Preferred);

        // The next connection goes straight to the address that worked: no second failover.
        await using (var second = await failover.ConnectAsync(null!, default))
        {
            using var accepted = await listener.AcceptSocketAsync();
        }

        Assert.Single(failovers);
    }

    [Fact]
    public async Task NoAddressAnswering_IsOneErrorNamingThemAll()
    {
        var a = ClosedPort();
        var b = ClosedPort();
        var failover = new AuthAddressFailover([$"127.0.0.1:{a}", $"127.0.0.1:{b}"], TimeSpan.FromSeconds(10), null);

        var e = await Assert.ThrowsAsync<HttpRequestException>(async () => await failover.ConnectAsync(null!, default));
        Assert.Contains($"127.0.0.1:{a}, 127.0.0.1:{b}", e.Message, StringComparison.Ordinal);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port; // stopped on dispose: connections are refused
    }
}
