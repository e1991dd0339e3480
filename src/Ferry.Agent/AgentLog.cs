using Microsoft.Extensions.Logging;

namespace Ferry.Agent;

/// <summary>
/// Log events of the agent (event ids 3000–3099). Who, which database and why, never query text,
/// parameters or credentials.
/// </summary>
internal static partial class AgentLog
{
    [LoggerMessage(EventId = 3000, EventName = "SessionRefused", Level = LogLevel.Information,
        Message = "session to {Database} from {Client} refused ({Reason}): {Detail}")]
    public static partial void SessionRefused(ILogger logger, string database, string client, string reason, string detail);

    [LoggerMessage(EventId = 3001, EventName = "AuthorityCallFailed", Level = LogLevel.Warning,
        Message = "auth service call failed ({Operation}): {Error}")]
    public static partial void AuthorityCallFailed(ILogger logger, string operation, string error);

    [LoggerMessage(EventId = 3006, EventName = "HealthProbeFailed", Level = LogLevel.Warning,
        Message = "health probe of database {Database} failed: {Error}")]
    public static partial void HealthProbeFailed(ILogger logger, string database, string error);

    [LoggerMessage(EventId = 3002, EventName = "StreamHeaderUnreadable", Level = LogLevel.Debug,
        Message = "tunnel stream closed before a valid header: {Error}")]
    public static partial void StreamHeaderUnreadable(ILogger logger, string error);

    [LoggerMessage(EventId = 3003, EventName = "CancelNotDelivered", Level = LogLevel.Debug,
        Message = "cancel request for database {Database} not delivered: {Error}")]
    public static partial void CancelNotDelivered(ILogger logger, string database, string error);

    [LoggerMessage(EventId = 3004, EventName = "BackendCloseFailed", Level = LogLevel.Debug,
        Message = "closing a database connection failed: {Error}")]
    public static partial void BackendCloseFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 3005, EventName = "MalformedPrepareOk", Level = LogLevel.Debug,
        Message = "database {Database} answered a prepare with a malformed OK: {Error}")]
    public static partial void MalformedPrepareOk(ILogger logger, string database, string error);
}
