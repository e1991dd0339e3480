namespace Ferry.Hosting;

/// <summary>
/// Runs socket completions on the runtime's socket event threads instead of queueing each one to the
/// thread pool. A relayed query crosses four sockets in the proxy and the agent; with the default, each
/// crossing is a thread-pool hand-off whose wake-up and idle spinning cost more CPU than the relay itself
/// (see <c>perf/results/</c>). With inline completions a message is decrypted, framed and re-encrypted on
/// the event thread that saw it arrive, as an event-loop proxy does. Code after a socket await therefore
/// must not block; blocking work (the audit spool's fsync, SQLite) runs on its own threads or the pool.
/// Set <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0</c> to keep the runtime's default.
/// </summary>
/// <remarks>
/// With inline completions the runtime starts one event thread per CPU. Ferry starts one per two CPUs
/// (<see cref="EventThreads"/>): every event thread now runs relay work, and one per CPU leaves none for the
/// thread pool, the other Ferry process or the database on a shared host; fewer threads also mean more sockets
/// served per <c>epoll_wait</c> and fewer context switches. <c>DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT</c> in the
/// environment overrides it (<c>perf/results/2026-12-04-event-threads.md</c>).
/// </remarks>
public static class InlineSocketCompletions
{
    private const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
    private const string ThreadCountVariable = "DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT";

    /// <summary>Call first thing in <c>Main</c>, before any socket exists (the runtime reads the settings once).</summary>
    public static void Enable()
    {
        if (Environment.GetEnvironmentVariable(Variable) is null)
        {
            Environment.SetEnvironmentVariable(Variable, "1");
        }

        if (Environment.GetEnvironmentVariable(Variable) == "1" && Environment.GetEnvironmentVariable(ThreadCountVariable) is null)
        {
            Environment.SetEnvironmentVariable(ThreadCountVariable, EventThreads(Environment.ProcessorCount).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Socket event threads for <paramref name="processors"/> CPUs when completions run inline: one per two CPUs, at least one.</summary>
    public static int EventThreads(int processors) => Math.Max(1, processors / 2);
}
