using Ferry.Contracts;
using Ferry.Diagnostics;

namespace Ferry.Agent.Hosting;

/// <summary>
/// Reports the agent's live sessions to the auth service (<c>POST /v1/agents/sessions</c>, or in-process): within a
/// second of a session starting or ending, and every <see cref="Refresh"/> otherwise (the counts move). Each report
/// replaces the previous one and stands for <see cref="Ttl"/>: an agent that dies drops out of <c>ferry sessions ls</c>
/// then, with no end event needed. A failed report is logged once, counted, and retried on the next tick.
/// </summary>
public sealed class LiveSessionReporter(LiveSessionTracker tracker, LiveSessions live, Func<LiveSessionsReport, CancellationToken, Task> report, Action<string> log)
{
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan Refresh = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    public async Task RunAsync(CancellationToken ct)
    {
        long sentVersion = -1;
        var sentAt = DateTimeOffset.MinValue;
        string? failing = null;
        while (!ct.IsCancellationRequested)
        {
            var version = tracker.Version;
            var now = DateTimeOffset.UtcNow;
            if (version != sentVersion || now - sentAt >= Refresh)
            {
                try
                {
                    var sessions = tracker.Snapshot(live.Contains);
                    await report(new LiveSessionsReport { Sessions = sessions, TtlSeconds = (int)Ttl.TotalSeconds }, ct).ConfigureAwait(false);
                    sentVersion = version;
                    sentAt = now;
                    failing = null;
                    EgressMetrics.LiveReport(true);
                }
                catch (Exception e) when (!ct.IsCancellationRequested && e is not OutOfMemoryException)
                {
                    EgressMetrics.LiveReport(false);
                    if (failing != e.Message)
                    {
                        log($"cannot report this agent's live sessions to the auth service: {e.Message}");
                    }

                    failing = e.Message;
                    sentAt = now; // retry on the next refresh, not every second
                }
            }

            await Task.Delay(Poll, ct).ConfigureAwait(false);
        }
    }
}
