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
}
