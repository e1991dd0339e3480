using Microsoft.Extensions.Logging;

namespace Ferry.Hosting;

/// <summary>Log events of host membership and background work (event ids 6000–6099).</summary>
internal static partial class HostLog
{
    [LoggerMessage(EventId = 6000, EventName = "BackgroundTaskFailed", Level = LogLevel.Error,
        Message = "background task {Task} failed and stopped: {Error}")]
    public static partial void BackgroundTaskFailed(ILogger logger, string task, string error);

    [LoggerMessage(EventId = 6001, EventName = "TlsIdleSweepFailed", Level = LogLevel.Warning,
        Message = "the TLS idle sweep failed (idle connections keep their record buffers until the next sweep, a second later): {Error}")]
    public static partial void TlsIdleSweepFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 6002, EventName = "IdleCompactionFailed", Level = LogLevel.Warning,
        Message = "the idle memory compaction failed (it tries again after the next quiet period): {Error}")]
    public static partial void IdleCompactionFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 6003, EventName = "IdleCompacted", Level = LogLevel.Information,
        Message = "quiet after a burst: compacted the heap and trimmed native memory, resident {BeforeKiB} KiB -> {AfterKiB} KiB")]
    public static partial void IdleCompacted(ILogger logger, long beforeKiB, long afterKiB);
}
