using System.Net.Sockets;
using Ferry.Proxy;

namespace Ferry.Proxy.Tests;

public sealed class AcceptBackoffTests
{
    [Fact]
    public async Task FailingAccept_WaitsDoublingUpToTheCap_NeverRetryingAtOnce()
    {
        const int failures = 12;
        var calls = 0;
        var waits = new List<TimeSpan>();
        var stopped = new TaskCompletionSource();
        var loop = new TcpAcceptLoop(
            async ct =>
            {
                if (Interlocked.Increment(ref calls) <= failures)
                {
                    throw new SocketException((int)SocketError.TooManyOpenSockets);
                }
                stopped.TrySetResult();
                await Task.Delay(Timeout.Infinite, ct);
                throw new OperationCanceledException(ct);
            },
            (wait, _) =>
            {
                waits.Add(wait);
                return Task.CompletedTask;
            },
            "test");
        loop.Start((socket, _) => Task.CompletedTask);
        await stopped.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await loop.DisposeAsync();

        Assert.Equal(failures + 1, calls);
        // One wait per failure, doubling from 10 ms, capped at 1 s.
        Assert.Equal(failures, waits.Count);
        Assert.Equal(
            [10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000, 1000, 1000],
            waits.Select(w => (int)w.TotalMilliseconds));
    }

    [Fact]
    public async Task AcceptErrorsAfterASuccess_StartAgainFromTheFirstWait()
    {
        var calls = 0;
        var waits = new List<TimeSpan>();
        var done = new TaskCompletionSource();
        using var a = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var loop = new TcpAcceptLoop(
            async ct =>
            {
                var n = Interlocked.Increment(ref calls);
                if (n is 1 or 2 or 4)
                {
                    throw new SocketException((int)SocketError.TooManyOpenSockets);
                }
                if (n == 3)
                {
                    return a;
                }
                done.TrySetResult();
                await Task.Delay(Timeout.Infinite, ct);
                throw new OperationCanceledException(ct);
            },
            (wait, _) =>
            {
                waits.Add(wait);
                return Task.CompletedTask;
            },
            "test");
        loop.Start((socket, _) => Task.CompletedTask);
        await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await loop.DisposeAsync();
        Assert.Equal([10, 20, 10], waits.Select(w => (int)w.TotalMilliseconds));
    }
}
