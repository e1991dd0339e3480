using Microsoft.Extensions.Logging;

namespace Ferry.Audit;

/// <summary>Log events of audit shipping (event ids 4000–4099): failures, recovery and lag, never event contents.</summary>
internal static partial class AuditShipLog
{
    [LoggerMessage(EventId = 4000, EventName = "AuditUploadFailed", Level = LogLevel.Warning,
        Message = "audit upload of {Events} events failed (attempt {Attempt}), retrying in {RetryIn}; {PendingBytes} bytes waiting in the spool, lag {LagSeconds:0.#}s: {Error}")]
    public static partial void UploadFailed(ILogger logger, int events, int attempt, TimeSpan retryIn, long pendingBytes, double lagSeconds, string error);

    [LoggerMessage(EventId = 4001, EventName = "AuditUploadRecovered", Level = LogLevel.Information,
        Message = "audit upload succeeded after {Attempts} failed attempts; lag was {LagSeconds:0.#}s")]
    public static partial void UploadRecovered(ILogger logger, int attempts, double lagSeconds);

    [LoggerMessage(EventId = 4002, EventName = "AuditSpoolFailed", Level = LogLevel.Error,
        Message = "audit shipping failed reading or acking the spool (attempt {Attempt}), retrying in {RetryIn} from the last ack; lag {LagSeconds:0.#}s: {ErrorType}: {Error}")]
    public static partial void SpoolFailed(ILogger logger, int attempt, TimeSpan retryIn, double lagSeconds, string errorType, string error);

    [LoggerMessage(EventId = 4003, EventName = "AuditSpoolRecovered", Level = LogLevel.Information,
        Message = "audit shipping resumed after {Attempts} failed attempts on the spool; lag was {LagSeconds:0.#}s")]
    public static partial void SpoolRecovered(ILogger logger, int attempts, double lagSeconds);

    [LoggerMessage(EventId = 4005, EventName = "AuditStoreReopened", Level = LogLevel.Warning,
        Message = "the audit store {Directory} recovered from an earlier write failure (cut {TornBytes} bytes of a partial write)")]
    public static partial void StoreReopened(ILogger logger, string directory, long tornBytes);
}
