using System.IO.Pipelines;

namespace Ferry.Tunnel;

/// <summary>
/// Reader scheduler of every stream's receive pipe. It runs a waiting reader on the thread pool, except
/// the one wake-up the session's reader loop asks for with <see cref="RunNextInline"/>: that reader runs
/// right there, on the reader loop, after the session lock is released. The relay waiting on a stream
/// then forwards the bytes without another thread being woken, as an event loop would; it returns to
/// the reader loop at its first await that does not complete at once.
/// </summary>
internal sealed class ReceiveScheduler : PipeScheduler
{
    public static readonly ReceiveScheduler Instance = new();

    [ThreadStatic]
    private static bool t_runNextInline;

    private ReceiveScheduler()
    {
    }

    /// <summary>Runs <paramref name="flush"/> so that the reader it wakes (if any) runs inline; anything else it schedules goes to the pool.</summary>
    public static void RunNextInline<TState>(Action<TState> flush, TState state)
    {
        t_runNextInline = true;
        try
        {
            flush(state);
        }
        finally
        {
            t_runNextInline = false;
        }
    }

    public override void Schedule(Action<object?> action, object? state)
    {
        if (t_runNextInline)
        {
            t_runNextInline = false;
            action(state);
            return;
        }

        System.Threading.ThreadPool.UnsafeQueueUserWorkItem(action, state, preferLocal: false);
    }
}
