using System.Net;
using System.Text.Json;
using Ferry.Contracts;

namespace Ferry.Auth.Tests;

public sealed class LockWatchTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Watch_ALockAddedByTheAdminCommand_ReachesAWatchingHost()
    {
        await using var server = await AuthTestHost.StartAsync(_dir.Path);
        using var hostCert = await AuthTestHost.JoinAsync(server, "proxy1", "proxy");
        using var client = AuthTestHost.Client(server, hostCert);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var response = await client.GetAsync("/v1/locks/watch", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        Assert.Equal(LockWatchEvent.Synced, (await NextAsync(reader, cts.Token)).Type);

        // A separate process-like writer: the admin command opens the same data dir while the server runs.
        var (code, _, error) = await AdminRunner.RunAsync(_dir.Path, "locks", "add", "--database", "pg1", "--message", "maintenance");
        Assert.True(code == 0, error);

        // Generous bound (the design target is 2 s; polling is every 250 ms): this asserts delivery, not speed.
        using var within = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        within.CancelAfter(TimeSpan.FromSeconds(20));
        var put = await NextNonPingAsync(reader, within.Token);
        Assert.Equal(LockWatchEvent.Put, put.Type);
        Assert.Equal("database", put.Lock!.Kind);
        Assert.Equal("pg1", put.Lock.Target);
        Assert.True(put.Lock.Covers("anyone", [], "pg1", DateTimeOffset.UtcNow));

        await server.Service.RemoveLockAsync(put.Id!, "test");
        var deleted = await NextNonPingAsync(reader, within.Token);
        Assert.Equal(LockWatchEvent.Delete, deleted.Type);
        Assert.Equal(put.Id, deleted.Id);
    }

    [Fact]
    public async Task Watch_StartsWithCurrentLocks_AndAnExpiringLockArrivesAsDelete()
    {
        await using var server = await AuthTestHost.StartAsync(_dir.Path);
        var existing = await server.Service.AddLockAsync("role", "contractors", null, null, "test");
        using var hostCert = await AuthTestHost.JoinAsync(server, "agent1", "agent");
        using var client = AuthTestHost.Client(server, hostCert);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var response = await client.GetAsync("/v1/locks/watch", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));

        var first = await NextAsync(reader, cts.Token);
        Assert.Equal(LockWatchEvent.Put, first.Type);
        Assert.Equal(existing.Id, first.Id);
        Assert.Equal(LockWatchEvent.Synced, (await NextAsync(reader, cts.Token)).Type);

        var brief = await server.Service.AddLockAsync("user", "bob", null, TimeSpan.FromSeconds(1), "test");
        Assert.Equal(brief.Id, (await NextNonPingAsync(reader, cts.Token)).Id);
        var gone = await NextNonPingAsync(reader, cts.Token);
        Assert.Equal(LockWatchEvent.Delete, gone.Type);
        Assert.Equal(brief.Id, gone.Id);
    }

    [Fact]
    public async Task Stop_EndsOpenWatchStreams()
    {
        var server = await AuthTestHost.StartAsync(_dir.Path);
        using var hostCert = await AuthTestHost.JoinAsync(server, "proxy1", "proxy");
        using var client = AuthTestHost.Client(server, hostCert);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var response = await client.GetAsync("/v1/locks/watch", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        // Before "synced" the stream lists the registered hosts (the proxies route and cut tunnels by them).
        var before = new List<LockWatchEvent>();
        for (var e = await NextAnyAsync(reader, cts.Token); e.Type != LockWatchEvent.Synced; e = await NextAnyAsync(reader, cts.Token))
        {
            before.Add(e);
        }

        Assert.Contains(before, e => e.Type == LockWatchEvent.HostPut);

        await server.StopAsync(cts.Token);

        string? rest;
        try
        {
            rest = await reader.ReadToEndAsync(cts.Token);
        }
        catch (IOException)
        {
            rest = "";
        }

        Assert.False(cts.IsCancellationRequested);
        Assert.DoesNotContain("\"put\"", rest, StringComparison.Ordinal);
    }

    /// <summary>The next lock event (put, delete, synced, ping); the routing events the stream also carries are skipped.</summary>
    private static async Task<LockWatchEvent> NextAsync(StreamReader reader, CancellationToken ct)
    {
        while (true)
        {
            var e = await NextAnyAsync(reader, ct);
            if (e.Type is not (LockWatchEvent.HostPut or LockWatchEvent.HostDelete or LockWatchEvent.BindingPut or LockWatchEvent.BindingDelete))
            {
                return e;
            }
        }
    }

    private static async Task<LockWatchEvent> NextAnyAsync(StreamReader reader, CancellationToken ct)
    {
        var line = await reader.ReadLineAsync(ct) ?? throw new EndOfStreamException("watch stream ended");
        return JsonSerializer.Deserialize(line, AuthApiJsonContext.Default.LockWatchEvent)!;
    }

    private static async Task<LockWatchEvent> NextNonPingAsync(StreamReader reader, CancellationToken ct)
    {
        while (true)
        {
            var e = await NextAsync(reader, ct);
            if (e.Type != LockWatchEvent.Ping)
            {
                return e;
            }
        }
    }
}
