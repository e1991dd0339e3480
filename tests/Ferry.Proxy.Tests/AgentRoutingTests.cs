using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Ferry.Contracts;
using Ferry.Hosting;

using static Ferry.Proxy.Tests.RoutingFakes;

namespace Ferry.Proxy.Tests;

/// <summary>
/// The proxy routes a database only to the agent the auth service bound it to (learnt from the lock watch), not to every
/// tunnel whose heartbeat lists the name, and learns host removals from the same watch.
/// </summary>
public sealed class AgentRoutingTests
{
    [Fact]
    public async Task ADatabase_IsRoutedOnlyToItsBoundAgent_AndAHostRemovalIsRaised()
    {
        var events = Channel.CreateUnbounded<LockWatchEvent>();
        var follower = new LockFollower(ct => Read(events.Reader, ct), _ => { });
        var removed = new List<string>();
        var changes = Channel.CreateUnbounded<bool>();
        follower.HostRemoved += removed.Add;
        follower.Changed += () => changes.Writer.TryWrite(true);
        var registry = new AgentRegistry { BoundAgents = follower.BoundAgents };
        var owner = new FakeTunnel("owner");
        var intruder = new FakeTunnel("intruder");
        registry.Register(owner, Serving("owner", "pg1"));
        registry.Register(intruder, Serving("intruder", "pg1", "ghost"));

        // Before the bindings are known, heartbeats decide (as with an auth service that does not send them).
        Assert.Equal(2, registry.Find("pg1").Count);

        using var stop = new CancellationTokenSource();
        var run = follower.RunAsync(stop.Token);
        events.Writer.TryWrite(new LockWatchEvent { Type = LockWatchEvent.HostPut, HostId = "owner", Role = "agent" });
        events.Writer.TryWrite(new LockWatchEvent { Type = LockWatchEvent.HostPut, HostId = "intruder", Role = "agent" });
        events.Writer.TryWrite(new LockWatchEvent { Type = LockWatchEvent.BindingPut, Database = "pg1", HostId = "owner" });
        events.Writer.TryWrite(new LockWatchEvent { Type = LockWatchEvent.Synced, Routing = true });
        await changes.Reader.ReadAsync();

        var routed = registry.Find("pg1");
        Assert.Equal("owner", Assert.Single(routed).Tunnel.AgentId);
        Assert.Empty(registry.Find("ghost"));
        Assert.Contains("no agent registered it", registry.NotServedReason("ghost"), StringComparison.Ordinal);
        Assert.DoesNotContain(registry.Databases(), d => d.Name == "ghost");
        Assert.True(follower.IsHostRegistered("owner", "agent"));

        registry.Unregister(owner);
        Assert.Empty(registry.Find("pg1"));
        Assert.Contains("bound to agent \"owner\", which is not connected", registry.NotServedReason("pg1"), StringComparison.Ordinal);

        // hosts rm: the host and its bindings go (the auth service deletes both); the follower raises the removal.
        events.Writer.TryWrite(new LockWatchEvent { Type = LockWatchEvent.BindingDelete, Database = "pg1" });
        events.Writer.TryWrite(new LockWatchEvent { Type = LockWatchEvent.HostDelete, HostId = "owner" });
        events.Writer.TryWrite(new LockWatchEvent { Type = LockWatchEvent.Put, Id = "l1", Lock = new LockInfo { Id = "l1" } });
        await changes.Reader.ReadAsync();
        Assert.Equal(["owner"], removed);
        Assert.False(follower.IsHostRegistered("owner", "agent"));
        Assert.Empty(registry.Find("pg1"));

        await stop.CancelAsync();
        await run;
    }
}
