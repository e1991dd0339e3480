using Microsoft.Extensions.Logging;

namespace Ferry.Agent;

/// <summary>Log events of the roles' session limits (event ids 3090–3099). Never query text.</summary>
internal static partial class AgentLog
{
    [LoggerMessage(EventId = 3090, EventName = "StatementLimitReached", Level = LogLevel.Information,
        Message = "session {SessionId} on {Database}: a statement of user {User} reached {Limit} ({Value}) after {Rows} rows and {Bytes} bytes: stopped, cancelled at the server")]
    public static partial void StatementLimitReached(ILogger logger, string sessionId, string database, string user, string limit, string value, long rows, long bytes);

    [LoggerMessage(EventId = 3091, EventName = "ServerCancelFailed", Level = LogLevel.Warning,
        Message = "session {SessionId} on {Database}: cancelling a statement stopped by {Limit} at the server failed: {Error}")]
    public static partial void ServerCancelFailed(ILogger logger, string sessionId, string database, string limit, string error);

    [LoggerMessage(EventId = 3092, EventName = "PinnedSettingRefused", Level = LogLevel.Information,
        Message = "session {SessionId} on {Database}: user {User} sent a statement that would change {Setting}, which the roles pin: refused")]
    public static partial void PinnedSettingRefused(ILogger logger, string sessionId, string database, string user, string setting);

    [LoggerMessage(EventId = 3093, EventName = "SessionIdleClosed", Level = LogLevel.Information,
        Message = "session {SessionId} on {Database}: user {User} sent nothing for longer than idle_timeout {Timeout}: closed")]
    public static partial void SessionIdleClosed(ILogger logger, string sessionId, string database, string user, string timeout);

    [LoggerMessage(EventId = 3094, EventName = "EgressSpent", Level = LogLevel.Information,
        Message = "session {SessionId} on {Database}: egress budget of user {User}: {Reason}")]
    public static partial void EgressSpent(ILogger logger, string sessionId, string database, string user, string reason);
}
