using System.Runtime.CompilerServices;
using Ferry.Diagnostics;

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

    /// <summary>
    /// Starts <paramref name="loop"/>. A loop that ends with an exception other than its cancellation is
    /// counted in <c>ferry_background_task_failures_total{task}</c> and logged; <paramref name="task"/>
    /// defaults to the expression the caller passed (e.g. <c>shipper.RunAsync</c>).
    /// </summary>
    public void Start(Func<CancellationToken, Task> loop, [CallerArgumentExpression(nameof(loop))] string task = "")
    {
        var token = _stop.Token;
        _tasks.Add(Task.Run(() => RunAsync(loop, TaskName(task), token), CancellationToken.None));
    }

    private static async Task RunAsync(Func<CancellationToken, Task> loop, string task, CancellationToken ct)
    {
        try
        {
            await loop(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            FerryMetrics.BackgroundFailure(task);
            HostLog.BackgroundTaskFailed(FerryLogging.Factory.CreateLogger("Ferry.Hosting"), task, e.Message);
            throw;
        }
    }

    /// <summary>A label-friendly name: <c>t => credentials.RenewLoopAsync(api, …)</c> becomes <c>credentials.RenewLoop</c>.</summary>
    internal static string TaskName(string expression)
    {
        var name = expression;
        var arrow = name.IndexOf("=>", StringComparison.Ordinal);
        if (arrow >= 0)
        {
            name = name[(arrow + 2)..];
        }
        var call = name.IndexOf('(', StringComparison.Ordinal);
        if (call >= 0)
        {
            name = name[..call];
        }
        name = name.Trim();
        if (name.StartsWith("new ", StringComparison.Ordinal))
        {
            name = name[4..];
        }
        if (name.EndsWith("Async", StringComparison.Ordinal))
        {
            name = name[..^5];
        }
        return name.Length == 0 ? "loop" : name;
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
            // Loops end on cancellation; anything else they throw was counted and logged when it happened.
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
