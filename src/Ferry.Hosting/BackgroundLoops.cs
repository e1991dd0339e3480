namespace Ferry.Hosting;

/// <summary>
/// The long-running loops of a host (shippers, watches, renewals, tunnels): started with one shared
/// stop token, stopped together with a bounded wait.
/// </summary>
public sealed class BackgroundLoops : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = [];

    public CancellationToken Stopping => _stop.Token;

    public void Start(Func<CancellationToken, Task> loop)
    {
        var token = _stop.Token;
        _tasks.Add(Task.Run(() => loop(token), CancellationToken.None));
    }

    /// <summary>Cancels every loop and waits up to <paramref name="grace"/> for them to end.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_tasks).WaitAsync(grace).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Loops end on cancellation; anything else they throw is moot at shutdown.
        }
    }

    public void Dispose() => _stop.Dispose();
}
