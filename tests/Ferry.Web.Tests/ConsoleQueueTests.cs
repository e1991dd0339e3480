using System.Collections.Concurrent;
using Ferry.Web.Consoles;

namespace Ferry.Web.Tests;

/// <summary>
/// One statement at a time on a console: a user statement typed while the page's schema read runs waits for it; a
/// second user statement (waiting or running) and a schema read during a user statement are refused as busy.
/// The console's database side is a stand-in whose statements end only when the test says so.
/// </summary>
public sealed class ConsoleQueueTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task UserStatement_TypedWhileASchemaReadRuns_WaitsForIt_AndRunsAfterIt()
    {
        await using var console = new HeldConsole(new WebOptions());
        var schema = console.QueryAsync("schema", keep: false);
        await console.Started("schema").WaitAsync(Bound);

        var user = console.QueryAsync("select 1");
        await Task.Delay(200);
        Assert.False(user.IsCompleted); // waiting, not refused
        Assert.False(console.HasStarted("select 1"));

        console.Finish("schema");
        await schema.WaitAsync(Bound);
        await console.Started("select 1").WaitAsync(Bound);
        console.Finish("select 1");
        var result = await user.WaitAsync(Bound);
        Assert.Equal("select 1", result.Tag);
        Assert.Same(result, console.LastResult);
    }

    [Fact]
    public async Task SecondUserStatement_WhileTheFirstWaitsOrRuns_IsRefusedAsBusy_AndSoIsASchemaRead()
    {
        await using var console = new HeldConsole(new WebOptions());
        var schema = console.QueryAsync("schema", keep: false);
        await console.Started("schema").WaitAsync(Bound);
        var first = console.QueryAsync("first"); // waits behind the schema read

        var waiting = await Assert.ThrowsAsync<WebApiException>(() => console.QueryAsync("second").WaitAsync(Bound));
        Assert.Equal((409, "busy"), (waiting.Status, waiting.Code));

        console.Finish("schema");
        await console.Started("first").WaitAsync(Bound);
        var running = await Assert.ThrowsAsync<WebApiException>(() => console.QueryAsync("third").WaitAsync(Bound));
        Assert.Equal(409, running.Status);
        var read = await Assert.ThrowsAsync<WebApiException>(() => console.QueryAsync("schema again", keep: false).WaitAsync(Bound));
        Assert.Equal(409, read.Status);

        console.Finish("first");
        await first.WaitAsync(Bound);
        console.FinishAtOnce = true;
        Assert.Equal("after", (await console.QueryAsync("after").WaitAsync(Bound)).Tag);
        Assert.False(console.HasStarted("second") || console.HasStarted("third") || console.HasStarted("schema again"));
    }

    [Fact]
    public async Task UserStatement_WaitingBehindASchemaRead_EndsWithTheConsoleWhenItCloses()
    {
        await using var console = new HeldConsole(new WebOptions());
        _ = console.QueryAsync("schema", keep: false);
        await console.Started("schema").WaitAsync(Bound);
        var user = console.QueryAsync("select 1");

        console.Close("logged out");

        var closed = await Assert.ThrowsAsync<ConsoleClosedException>(() => user.WaitAsync(Bound));
        Assert.Contains("logged out", closed.Message, StringComparison.Ordinal);
        Assert.False(console.HasStarted("select 1"));
    }

    private sealed class HeldConsole(WebOptions options) : DatabaseConsole("pg1", "app", "shop", "postgres", options)
    {
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _started = new();
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _finish = new();

        public bool FinishAtOnce { get; set; }

        public Task Started(string sql) => Slot(_started, sql).Task;

        public bool HasStarted(string sql) => _started.TryGetValue(sql, out var s) && s.Task.IsCompleted;

        public void Finish(string sql) => Slot(_finish, sql).TrySetResult();

        public override Task CancelAsync(CancellationToken ct) => Task.CompletedTask;

        protected override async Task<ConsoleResult> RunAsync(string sql, CancellationToken ct)
        {
            Slot(_started, sql).TrySetResult();
            if (!FinishAtOnce)
            {
                await Slot(_finish, sql).Task.WaitAsync(ct);
            }

            return new ConsoleResult { Tag = sql };
        }

        protected override void CloseConnection()
        {
        }

        private static TaskCompletionSource Slot(ConcurrentDictionary<string, TaskCompletionSource> slots, string sql) =>
            slots.GetOrAdd(sql, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    }
}
