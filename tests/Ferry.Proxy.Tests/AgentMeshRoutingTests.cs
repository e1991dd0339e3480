using System.Net;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Ferry.Contracts;
using Ferry.Hosting;
using Ferry.Protocol.Postgres;
using Ferry.Testing;

using static Ferry.Proxy.Tests.RoutingFakes;

namespace Ferry.Proxy.Tests;

/// <summary>
/// Agent HA and cross-proxy cancel on the proxy: a name shared between agents routes to any of them (one inventory entry,
/// random order), never to an agent it is not shared with; a cancel for a key this proxy did not relay goes only to the
/// agents its process id is tagged for, and only within the sender's miss budget.
/// </summary>
public sealed class AgentMeshRoutingTests
{
    [Fact]
    public async Task ASharedName_RoutesToEveryAgentItIsSharedWith_AsOneEntry_AndNotToOthers()
    {
        var events = Channel.CreateUnbounded<LockWatchEvent>();
        var follower = new LockFollower(ct => Read(events.Reader, ct), _ => { });
        var changes = Channel.CreateUnbounded<bool>();
        follower.Changed += () => changes.Writer.TryWrite(true);
        var registry = new AgentRegistry { BoundAgents = follower.BoundAgents };
        var a = new FakeTunnel("a");
        var b = new FakeTunnel("b");
        var intruder = new FakeTunnel("intruder");
        registry.Register(a, Serving("a", "pg1"));
        registry.Register(b, Serving("b", "pg1"));
        registry.Register(intruder, Serving("intruder", "pg1"));

        using var stop = new CancellationTokenSource();
        var run = follower.RunAsync(stop.Token);
        foreach (var id in new[] { "a", "b", "intruder" })
        {
            events.Writer.TryWrite(new LockWatchEvent { Type = LockWatchEvent.HostPut, HostId = id, Role = "agent" });
        }

        events.Writer.TryWrite(new LockWatchEvent { Type = LockWatchEvent.BindingPut, Database = "pg1", HostId = "a", SharedWith = ["b"] });
        events.Writer.TryWrite(new LockWatchEvent { Type = LockWatchEvent.Synced, Routing = true });
        await changes.Reader.ReadAsync();

        Assert.Equal(["a", "b"], registry.Find("pg1").Select(c => c.Tunnel.AgentId).Order());
        var (entry, agents) = Assert.Single(registry.Inventory());
        Assert.Equal(("pg1", 2), (entry.Name, agents));

        // Random order among equals: over many picks each agent comes first at least once (fixed seed-free, but 2^-200 to fail).
        var firsts = Enumerable.Range(0, 200).Select(_ => registry.Find("pg1")[0].Tunnel.AgentId).ToHashSet();
        Assert.Equal(["a", "b"], firsts.Order());

        // One agent gone: the other serves alone; both gone: the reason names both.
        registry.Unregister(a);
        Assert.Equal("b", Assert.Single(registry.Find("pg1")).Tunnel.AgentId);
        registry.Unregister(b);
        Assert.Empty(registry.Find("pg1"));
        Assert.Contains("none of which is connected", registry.NotServedReason("pg1"), StringComparison.Ordinal);

        // hosts rm of a shared agent: the follower drops it from the name and keeps the other.
        registry.Register(a, Serving("a", "pg1"));
        registry.Register(b, Serving("b", "pg1"));
        events.Writer.TryWrite(new LockWatchEvent { Type = LockWatchEvent.HostDelete, HostId = "a" });
        events.Writer.TryWrite(new LockWatchEvent { Type = LockWatchEvent.Put, Id = "l1", Lock = new LockInfo { Id = "l1" } });
        await changes.Reader.ReadAsync();
        Assert.Equal(["b"], follower.BoundAgents("pg1"));
        Assert.Equal("b", Assert.Single(registry.Find("pg1")).Tunnel.AgentId);

        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public void AnUnknownCancelKey_GoesOnlyToTheAgentsItsProcessIdIsTaggedFor()
    {
        var registry = new AgentRegistry();
        var (a, b) = (new FakeTunnel("agent-a"), new FakeTunnel("agent-b"));
        registry.Register(a, Serving("agent-a", "pg1"));
        registry.Register(b, Serving("agent-b", "pg2"));
        var tagA = CancelKeyRouting.Tag("agent-a");
        Assert.NotEqual(tagA, CancelKeyRouting.Tag("agent-b"));

        var pid = CancelKeyRouting.ProcessId(tagA);
        Assert.Equal(tagA, CancelKeyRouting.TagOf(pid));
        Assert.True(pid > 0);
        Assert.Equal("agent-a", Assert.Single(registry.TunnelsTagged(CancelKeyRouting.TagOf(pid), ProxyCancelMap.MaxAgentsAsked)).AgentId);
        Assert.Empty(registry.TunnelsTagged(0, ProxyCancelMap.MaxAgentsAsked));
        a.IsAlive = false;
        Assert.Empty(registry.TunnelsTagged(tagA, ProxyCancelMap.MaxAgentsAsked));
    }

    [Fact]
    public void AskingTheAgents_StopsWhenTheSenderIsOverItsMissBudget_AndComesBackNextMinute()
    {
        var time = new ManualClock(DateTimeOffset.Parse("2026-12-04T02:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var map = new ProxyCancelMap(time);
        var source = IPAddress.Parse("192.0.2.7");
        var other = IPAddress.Parse("192.0.2.8");
        for (var i = 1; i <= ProxyCancelMap.MaxMissesPerMinute; i++)
        {
            Assert.Equal(CancelDecision.UnknownKey, map.Decide(source, i, [1, 2, 3, 4], out _, out _));
            Assert.True(map.MayAskAgents(source), $"miss {i} is within the budget");
        }

        Assert.Equal(CancelDecision.UnknownKey, map.Decide(source, 99, [1, 2, 3, 4], out _, out _));
        Assert.False(map.MayAskAgents(source));
        Assert.True(map.MayAskAgents(other));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(map.MayAskAgents(source));
    }
}
