using System.Text;
using Ferry.Auth.Backend;

namespace Ferry.Auth.Tests;

public sealed class SqliteBackendTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public async Task PutGetRangeDelete_RoundTripInKeyOrder()
    {
        await using var backend = SqliteBackend.Open(_dir.Path);
        var r1 = await backend.PutAsync("/users/bob", B("b"));
        var r2 = await backend.PutAsync("/users/alice", B("a"));
        await backend.PutAsync("/roles/x", B("x"));

        Assert.True(r2 > r1);
        Assert.Equal("a", Encoding.UTF8.GetString((await backend.GetAsync("/users/alice"))!.Value));
        Assert.Equal(["/users/alice", "/users/bob"], (await backend.RangeAsync("/users/")).Select(i => i.Key));
        Assert.True(await backend.DeleteAsync("/users/alice"));
        Assert.False(await backend.DeleteAsync("/users/alice"));
        Assert.Null(await backend.GetAsync("/users/alice"));
    }

    [Fact]
    public async Task CompareAndSwap_SucceedsOnlyAtTheExpectedRevision()
    {
        await using var backend = SqliteBackend.Open(_dir.Path);

        var created = await backend.CompareAndSwapAsync("/k", 0, B("1"));
        Assert.NotNull(created);
        Assert.Null(await backend.CompareAndSwapAsync("/k", 0, B("again")));
        Assert.Null(await backend.CompareAndSwapAsync("/k", created!.Value + 100, B("stale")));
        Assert.NotNull(await backend.CompareAndSwapAsync("/k", created.Value, B("2")));
        Assert.Equal("2", Encoding.UTF8.GetString((await backend.GetAsync("/k"))!.Value));
    }

    [Fact]
    public async Task Lease_ExpiredItemIsInvisibleAndSweptWithADeleteEvent()
    {
        var time = new ManualClock(DateTimeOffset.UtcNow);
        await using var backend = SqliteBackend.Open(_dir.Path, time);
        await backend.PutAsync("/locks/a", B("x"), TimeSpan.FromSeconds(10));
        var from = await backend.CurrentRevisionAsync();

        time.Advance(TimeSpan.FromSeconds(11));

        Assert.Null(await backend.GetAsync("/locks/a"));
        Assert.Empty(await backend.RangeAsync("/locks/"));
        Assert.Equal(1, await backend.SweepAsync(CancellationToken.None));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var e in backend.WatchAsync("/locks/", from, cts.Token))
        {
            Assert.Equal(BackendEventKind.Delete, e.Kind);
            Assert.Equal("/locks/a", e.Key);
            break;
        }
    }

    [Fact]
    public async Task Watch_SeesWritesOfAnotherConnectionOnTheSameFile()
    {
        await using var watcherSide = SqliteBackend.Open(_dir.Path);
        await using var writerSide = SqliteBackend.Open(_dir.Path);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var from = await watcherSide.CurrentRevisionAsync();

        await writerSide.PutAsync("/locks/x", B("1"));
        await writerSide.PutAsync("/users/ignored", B("2"));
        await writerSide.DeleteAsync("/locks/x");

        var seen = new List<(BackendEventKind, string)>();
        await foreach (var e in watcherSide.WatchAsync("/locks/", from, cts.Token))
        {
            seen.Add((e.Kind, e.Key));
            if (seen.Count == 2)
            {
                break;
            }
        }

        Assert.Equal([(BackendEventKind.Put, "/locks/x"), (BackendEventKind.Delete, "/locks/x")], seen);
    }

    [Fact]
    public async Task Reopen_KeepsEverything()
    {
        await using (var backend = SqliteBackend.Open(_dir.Path))
        {
            await backend.PutAsync("/users/alice", B("a"));
        }

        await using var again = SqliteBackend.Open(_dir.Path);
        Assert.NotNull(await again.GetAsync("/users/alice"));
    }

    [Fact]
    public async Task Keys_MustStartWithSlash()
    {
        await using var backend = SqliteBackend.Open(_dir.Path);
        await Assert.ThrowsAsync<ArgumentException>(async () => await backend.PutAsync("users/x", B("1")));
    }
}
