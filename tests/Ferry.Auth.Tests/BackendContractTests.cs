using System.Text;
using Ferry.Auth.Backend;

namespace Ferry.Auth.Tests;

/// <summary>
/// What every <see cref="IBackend"/> promises, run against each implementation: the embedded SQLite file and a real
/// PostgreSQL server (<see cref="PostgresBackendTests"/>).
/// </summary>
public abstract class BackendContractTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>Opens the backend under test; every call of one test reaches the same store (a second server on it).</summary>
    protected abstract Task<IBackend> OpenAsync(TimeProvider? time = null);

    /// <summary>Runs the backend's expiry sweep now.</summary>
    protected abstract ValueTask<int> SweepAsync(IBackend backend);

    [Fact]
    public async Task PutGetRangeDelete_RoundTripInKeyOrder()
    {
        await using var backend = await OpenAsync();
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
        await using var backend = await OpenAsync();

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
        await using var backend = await OpenAsync(time);
        await backend.PutAsync("/locks/a", B("x"), TimeSpan.FromSeconds(10));
        var from = await backend.CurrentRevisionAsync();

        time.Advance(TimeSpan.FromSeconds(11));

        Assert.Null(await backend.GetAsync("/locks/a"));
        Assert.Empty(await backend.RangeAsync("/locks/"));
        Assert.Equal(1, await SweepAsync(backend));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var e in backend.WatchAsync("/locks/", from, cts.Token))
        {
            Assert.Equal(BackendEventKind.Delete, e.Kind);
            Assert.Equal("/locks/a", e.Key);
            break;
        }
    }

    [Fact]
    public async Task Watch_SeesWritesOfAnotherConnectionOnTheSameStore()
    {
        await using var watcherSide = await OpenAsync();
        await using var writerSide = await OpenAsync();
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
        await using (var backend = await OpenAsync())
        {
            await backend.PutAsync("/users/alice", B("a"));
        }

        await using var again = await OpenAsync();
        Assert.NotNull(await again.GetAsync("/users/alice"));
    }

    [Fact]
    public async Task Keys_MustStartWithSlash()
    {
        await using var backend = await OpenAsync();
        await Assert.ThrowsAsync<ArgumentException>(async () => await backend.PutAsync("users/x", B("1")));
    }
}
