using Ferry.Client.Bench;
using Ferry.Wire;

namespace Ferry.Client.Tests.Bench;

public sealed class BenchRunnerTests
{
    [Fact]
    public async Task ARefusalEveryClientGetsAtOnce_EndsTheRunWithOneClearError_NotAnUnhandledOne()
    {
        // Every client's first login is refused at the same moment (a password the server asks for and the connection
        // string lacks). The first refusal stops the run; the others, failing while it stops, used to escape the
        // runner as an unhandled WireException with a stack trace instead of "no session could be opened".
        var target = new RefusingTarget(clients: 8);
        var runner = new BenchRunner(target, new BenchOptions { Clients = 8, Duration = TimeSpan.FromSeconds(30) });
        var e = await Assert.ThrowsAsync<FerryClientException>(() => runner.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.StartsWith("no session could be opened: the database asked for a password", e.Message);
        Assert.Equal(8, target.Attempts);
    }

    /// <summary>Refuses every login, releasing all of them together once every client is waiting.</summary>
    private sealed class RefusingTarget(int clients) : IBenchTarget
    {
        private readonly TaskCompletionSource _allWaiting = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _attempts;

        public int Attempts => Volatile.Read(ref _attempts);

        public string Protocol => "postgres";

        public string Description => "refusing";

        public async Task<BenchSession> OpenAsync(CancellationToken ct)
        {
            if (Interlocked.Increment(ref _attempts) == clients)
            {
                _allWaiting.SetResult();
            }

            await _allWaiting.Task.ConfigureAwait(false);
            throw new WireException(WireFailure.Refused, "the database asked for a password: give one");
        }
    }
}
