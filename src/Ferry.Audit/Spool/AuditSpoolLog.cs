using Microsoft.Extensions.Logging;

namespace Ferry.Audit;

/// <summary>Log events of the local audit spool (event ids 4100–4119).</summary>
internal static partial class AuditSpoolLog
{
    [LoggerMessage(EventId = 4100, EventName = "AuditSpoolCorruptRecord", Level = LogLevel.Error,
        Message = "audit spool {Directory}: corrupt record in segment {Segment} at offset {Offset}; it is skipped and reading resumes at the next valid record")]
    public static partial void CorruptRecord(ILogger logger, string directory, long segment, long offset);
}
