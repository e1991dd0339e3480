using Microsoft.Extensions.Logging;

namespace Ferry.Auth;

/// <summary>Log events about live sessions and egress budgets (ids 7180–7189).</summary>
internal static partial class AuthLog
{
    [LoggerMessage(EventId = 7180, EventName = "EgressBudgetExceeded", Level = LogLevel.Warning,
        Message = "Egress budget of user {User} on {Database} crossed: {Rows} rows, {Bytes} bytes in the {PerSeconds}s window")]
    public static partial void EgressBudgetExceeded(ILogger logger, string user, string database, long rows, long bytes, long perSeconds);

    [LoggerMessage(EventId = 7181, EventName = "SessionEnded", Level = LogLevel.Information,
        Message = "Session {SessionId} of user {SessionUser} on {Database} ended by {Admin}")]
    public static partial void SessionEndedByAdmin(ILogger logger, string sessionId, string sessionUser, string database, string admin);
}
