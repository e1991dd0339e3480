using Ferry.Diagnostics;
using Ferry.Identity;
using Microsoft.Extensions.Logging;

namespace Ferry.Hosting;

/// <summary>
/// Gives memory back once a burst of work is over. Setting up sessions or tunnels allocates far more than stays
/// alive; the garbage collector then keeps the regions that burst touched committed (the process's RSS), and an idle
/// process allocates too little to ever collect again. Every <see cref="Interval"/> this looks at how much the process
/// allocated and how large it is: when a quiet period follows a burst that grew it (<see cref="IdleCompactionPolicy"/>),
/// it runs one blocking, compacting, aggressive collection, which decommits what the heap no longer needs, and asks
/// glibc to return free pages too (<c>malloc_trim</c>). Never while traffic flows (the collection pauses the process
/// for milliseconds), at most once every 15 s. Visible as <c>ferry_gc_idle_compactions_total</c>; a failure is logged (IdleCompactionFailed)
/// and counted in <c>ferry_background_task_failures_total{task="idle_compaction"}</c>, and the next period tries again.
/// <c>FERRY_IDLE_COMPACTION=0</c> in the environment turns it off.
/// </summary>
public static class IdleCompaction
{
    /// <summary>How often the allocation rate and the resident size are looked at.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private static readonly Lock s_gate = new();
    private static readonly IdleCompactionPolicy s_policy = new();
    private static Timer? s_timer;
    private static long s_compactions;

    /// <summary>Collections this has run since the process started.</summary>
    public static long Compactions => Interlocked.Read(ref s_compactions);

    /// <summary>Call once at startup (more calls do nothing).</summary>
    public static void Enable()
    {
        if (Environment.GetEnvironmentVariable("FERRY_IDLE_COMPACTION") == "0")
        {
            return;
        }
        lock (s_gate)
        {
            if (s_timer is not null)
            {
                return;
            }
            FerryMetrics.TrackIdleCompactions(static () => Compactions);
            s_timer = new Timer(static _ => Tick(), null, Interval, Interval);
        }
    }

    private static void Tick()
    {
        try
        {
            lock (s_gate) // a tick that overran the period must not overlap the next
            {
                var before = Environment.WorkingSet;
                if (!s_policy.ShouldCompact(GC.GetTotalAllocatedBytes(), before, Environment.TickCount64))
                {
                    return;
                }
                GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                NativeHeap.Trim();
                var after = Environment.WorkingSet;
                s_policy.Compacted(after, Environment.TickCount64);
                Interlocked.Increment(ref s_compactions);
                HostLog.IdleCompacted(Log, before >> 10, after >> 10);
            }
        }
#pragma warning disable CA1031 // a timer callback must not throw (it would end the process): log, count, try again next period
        catch (Exception e)
#pragma warning restore CA1031
        {
            FerryMetrics.BackgroundFailure("idle_compaction");
            HostLog.IdleCompactionFailed(Log, e.Message);
        }
    }

    private static ILogger Log => FerryLogging.Factory.CreateLogger("Ferry.Memory");
}

/// <summary>
/// When <see cref="IdleCompaction"/> collects: the period just past was quiet (under <see cref="QuietBytes"/>
/// allocated), the process's resident memory grew by <see cref="GrowthBytes"/> or more since the last collection (or
/// since the first look), so a burst left something to give back (a process that stays idle is not collected again and
/// again), and the last collection was <see cref="MinSpacingMs"/> or more ago.
/// </summary>
internal sealed class IdleCompactionPolicy
{
    public long GrowthBytes { get; init; } = 8L << 20;

    /// <summary>An agent with 1,000 idle sessions allocates about 1 MiB per period reporting them (LiveSessionReporter).</summary>
    public long QuietBytes { get; init; } = 4L << 20;

    public long MinSpacingMs { get; init; } = 15_000;

    private long _lastAllocated = -1;
    private long _baselineRss;
    private long _compactedAt = long.MinValue;

    /// <summary>
    /// Called once a period with the process's allocated-bytes total, its resident set size and a millisecond clock;
    /// true: collect now, then tell <see cref="Compacted"/> the resident size after it.
    /// </summary>
    public bool ShouldCompact(long allocated, long rss, long nowMs)
    {
        if (_lastAllocated < 0)
        {
            _lastAllocated = allocated;
            _baselineRss = rss;
            return false;
        }
        var period = allocated - _lastAllocated;
        _lastAllocated = allocated;
        if (period >= QuietBytes || rss - _baselineRss < GrowthBytes)
        {
            return false;
        }
        return _compactedAt == long.MinValue || nowMs - _compactedAt >= MinSpacingMs;
    }

    /// <summary>A collection ran at <paramref name="nowMs"/>; growth is measured from <paramref name="rss"/> from now on.</summary>
    public void Compacted(long rss, long nowMs)
    {
        _baselineRss = rss;
        _compactedAt = nowMs;
    }
}
