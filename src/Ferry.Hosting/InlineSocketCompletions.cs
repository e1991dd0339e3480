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
public static class InlineSocketCompletions
{
    private const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Call first thing in <c>Main</c>, before any socket exists (the runtime reads the setting once).</summary>
    public static void Enable()
    {
        if (Environment.GetEnvironmentVariable(Variable) is null)
        {
            Environment.SetEnvironmentVariable(Variable, "1");
        }
    }
}
