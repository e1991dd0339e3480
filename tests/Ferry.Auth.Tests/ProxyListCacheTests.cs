using Ferry.Auth.Backend;
using Ferry.Auth.Hosts;
using Ferry.Auth.Model;

namespace Ferry.Auth.Tests;

/// <summary>
/// The proxy list every agent registration answers with (agent mesh) comes from a cache: one backend read per second
/// however many agents ask at once, a change this auth server makes shows at once, another server's within the TTL.
/// </summary>
public sealed class ProxyListCacheTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ManualClock _clock = ManualClock.AtNow();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task ConcurrentCallers_ShareOneRead_UntilTheTtlOrAnInvalidation_AndAFailedReadIsNotKept()
    {
        var cache = new ProxyListCache(_clock, TimeSpan.FromSeconds(1));
        var reads = 0;
        var gate = new TaskCompletionSource();
        var fail = false;
        async Task<IReadOnlyList<ProxyListEntry>> Read(CancellationToken ct)
        {
            Interlocked.Increment(ref reads);
            await gate.Task;
            return fail ? throw new IOException("backend down") : [new ProxyListEntry("p1", "127.0.0.1:1", _clock.Now)];
        }

        var callers = Enumerable.Range(0, 200).Select(_ => Task.Run(() => cache.GetAsync(Read, CancellationToken.None))).ToArray();
        await Task.Delay(50);
        gate.SetResult();
        foreach (var list in await Task.WhenAll(callers))
        {
            Assert.Equal("p1", Assert.Single(list).HostId);
        }
        Assert.Equal(1, reads);

        _clock.Advance(TimeSpan.FromMilliseconds(900));
        await cache.GetAsync(Read, CancellationToken.None);
        Assert.Equal(1, reads);
        _clock.Advance(TimeSpan.FromMilliseconds(200));
        await cache.GetAsync(Read, CancellationToken.None);
        Assert.Equal(2, reads);

        cache.Invalidate();
        await cache.GetAsync(Read, CancellationToken.None);
        Assert.Equal(3, reads);

        cache.Invalidate();
        fail = true;
        await Assert.ThrowsAsync<IOException>(() => cache.GetAsync(Read, CancellationToken.None));
        fail = false;
        Assert.Single(await cache.GetAsync(Read, CancellationToken.None));
        Assert.Equal(5, reads);
    }

    [Fact]
    public async Task Registrations_AreAnsweredFromTheCache_LocalChangesShowAtOnce_OtherServersWithinTheTtl()
    {
        await using var service = AuthService.Open(new AuthServiceOptions { DataDir = _dir.Path, ClusterName = "test", Time = _clock, SweepAccessRequests = false }, new CapturingAuditSink());
        async Task<List<string>> ListedAsync() =>
            [.. (await service.RegisterAgentDatabasesAsync("agent1", new Contracts.AgentDatabasesReport(), "127.0.0.1", default)).Proxies!.Select(p => $"{p.HostId}={p.Address}")];
        async Task PutProxyAsync(string id, string address) =>
            await service.Backend.PutAsync(BackendKeys.Host(id), new HostRecord { HostId = id, Role = "proxy", JoinedAt = _clock.Now, TunnelAddress = address, TunnelReportedAt = _clock.Now },
                StorageJsonContext.Default.HostRecord);

        Assert.Empty(await ListedAsync());

        // Written by another auth server on the same backend: agents see it once the cached read is a second old.
        await PutProxyAsync("proxy-a", "127.0.0.1:4080");
        Assert.Empty(await ListedAsync());
        _clock.Advance(TimeSpan.FromMilliseconds(1100));
        Assert.Equal(["proxy-a=127.0.0.1:4080"], await ListedAsync());

        // Reported to this server (a new address): listed at once.
        await service.NoteProxyTunnelAddressAsync("proxy-a", "127.0.0.1:5080", "127.0.0.1", default);
        Assert.Equal(["proxy-a=127.0.0.1:5080"], await ListedAsync());

        // Removed here: gone at once.
        await service.RemoveHostAsync("proxy-a", "admin");
        Assert.Empty(await ListedAsync());

        // The 60 s listing age still applies to a cached read.
        await PutProxyAsync("proxy-b", "127.0.0.1:6080");
        _clock.Advance(TimeSpan.FromMilliseconds(1100));
        Assert.Single(await ListedAsync());
        _clock.Advance(AuthService.ProxyListTtl - TimeSpan.FromMilliseconds(1600));
        Assert.Single(await ListedAsync());
        _clock.Advance(TimeSpan.FromMilliseconds(600));
        Assert.Empty(await ListedAsync());
    }
}
