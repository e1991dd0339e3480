using Microsoft.Extensions.Logging;

namespace Ferry.Agent;

/// <summary>Log events about statements too large to keep whole in an audit event (ids 3080–3089).</summary>
internal static partial class AgentLog
{
    [LoggerMessage(EventId = 3080, EventName = "StatementTruncated", Level = LogLevel.Debug,
        Message = "session {SessionId} on {Database}: a {Kind} of {Length} bytes was audited by its first {Kept} bytes, length and SHA-256")]
    public static partial void StatementTruncated(ILogger logger, string? sessionId, string database, string kind, long length, int kept);

    [LoggerMessage(EventId = 3081, EventName = "MessageTooLargeRefused", Level = LogLevel.Warning,
        Message = "session {SessionId} on {Database}: refused a {Kind} message of {Length} bytes, larger than the {Limit} bytes the agent inspects for audit (proxy.max_message_bytes); the client gets an error and the session carries on")]
    public static partial void MessageTooLargeRefused(ILogger logger, string? sessionId, string database, string kind, long length, int limit);
}
