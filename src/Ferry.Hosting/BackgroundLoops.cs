namespace Ferry.Hosting;

/// <summary>
/// The long-running loops of a host (shippers, watches, renewals, tunnels), started with one shared stop
/// token, and the parts the host must close when it stops (servers, pools, sinks, clients). Stopping cancels
/// every loop, waits a bounded time for them, then closes the parts in the reverse order of <see cref="Own"/>.
/// </summary>
public sealed class BackgroundLoops : IAsyncDisposable
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = [];
    private readonly Stack<object> _owned = new();

    public CancellationToken Stopping => _stop.Token;

    public void Start(Func<CancellationToken, Task> loop)
    {
        var token = _stop.Token;
        _tasks.Add(Task.Run(() => loop(token), CancellationToken.None));
    }

    /// <summary>Closes <paramref name="part"/> (<see cref="IAsyncDisposable"/> or <see cref="IDisposable"/>) after the loops have stopped.</summary>
    public T Own<T>(T part)
        where T : class
    {
        _owned.Push(part);
        return part;
    }

    /// <summary>Cancels every loop and waits a bounded time for them to end.</summary>
    private async Task StopLoopsAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_tasks).WaitAsync(Grace).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Loops end on cancellation; anything else they throw is moot at shutdown.
        }
    }

    /// <summary>Stops the loops, then closes the owned parts, newest first.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopLoopsAsync().ConfigureAwait(false);
        while (_owned.TryPop(out var part))
        {
            switch (part)
            {
                case IAsyncDisposable a:
                    await a.DisposeAsync().ConfigureAwait(false);
                    break;
                case IDisposable d:
                    d.Dispose();
                    break;
            }
        }
        _stop.Dispose();
    }
}
