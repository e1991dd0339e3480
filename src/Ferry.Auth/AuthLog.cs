using Microsoft.Extensions.Logging;

namespace Ferry.Auth;

/// <summary>
/// Log events of the auth service and its API (event ids 7100–7199). Who and from where, bounded in length,
/// never passwords, codes or keys; failed logins are logged as window summaries, not one line each.
/// </summary>
internal static partial class AuthLog
{
    [LoggerMessage(EventId = 7100, EventName = "LoginFailuresSummarised", Level = LogLevel.Information,
        Message = "{Count} more failed or refused logins for user {User} from {Source} in the last {Window}: {Reason}")]
    public static partial void LoginFailuresSummarised(ILogger logger, string user, string source, string reason, long count, string window);

    [LoggerMessage(EventId = 7101, EventName = "LoginFailuresOverflow", Level = LogLevel.Warning,
        Message = "{Count} failed or refused logins in the last {Window} from too many distinct users and sources to list")]
    public static partial void LoginFailuresOverflow(ILogger logger, long count, string window);

    [LoggerMessage(EventId = 7110, EventName = "ApiRequestRefused", Level = LogLevel.Information,
        Message = "API request {Path} from {Client} refused ({Reason}): {Detail}")]
    public static partial void RequestRefused(ILogger logger, string path, string client, string reason, string detail);

    [LoggerMessage(EventId = 7111, EventName = "ApiConnectionRefused", Level = LogLevel.Information,
        Message = "API connection from {Client} refused ({Reason}): {Detail}")]
    public static partial void ConnectionRefused(ILogger logger, string client, string reason, string detail);

    [LoggerMessage(EventId = 7112, EventName = "ApiClientAddressFromProxy", Level = LogLevel.Debug,
        Message = "API connection from proxy {ProxyId} at {Peer} for client {Client}")]
    public static partial void ClientAddressFromProxy(ILogger logger, string proxyId, string peer, string client);
}
