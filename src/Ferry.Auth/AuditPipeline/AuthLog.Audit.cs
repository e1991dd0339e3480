using Microsoft.Extensions.Logging;

namespace Ferry.Auth;

internal static partial class AuthLog
{
    [LoggerMessage(EventId = 7270, EventName = "AuditAppendFailed", Level = LogLevel.Warning,
        Message = "Appending {Count} audit events to PostgreSQL failed (the sender keeps them and retries): {ErrorType}: {Error}")]
    public static partial void AuditAppendFailed(ILogger logger, int count, string errorType, string error);

    [LoggerMessage(EventId = 7271, EventName = "AuditRetentionApplied", Level = LogLevel.Information,
        Message = "Audit retention removed {Count} events from PostgreSQL; the chain now starts at seq {Anchor}")]
    public static partial void AuditRetentionApplied(ILogger logger, int count, long anchor);

    [LoggerMessage(EventId = 7272, EventName = "AuditMaintenanceFailed", Level = LogLevel.Warning,
        Message = "Audit store maintenance (sealing, retention) failed, retried in a minute: {ErrorType}: {Error}")]
    public static partial void AuditMaintenanceFailed(ILogger logger, string errorType, string error);

    [LoggerMessage(EventId = 7273, EventName = "AuditSearchFailed", Level = LogLevel.Warning,
        Message = "Audit search in PostgreSQL failed: {ErrorType}: {Error}")]
    public static partial void AuditSearchFailed(ILogger logger, string errorType, string error);
}
