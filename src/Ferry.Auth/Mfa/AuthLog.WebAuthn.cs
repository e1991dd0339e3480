using Microsoft.Extensions.Logging;

namespace Ferry.Auth;

internal static partial class AuthLog
{
    [LoggerMessage(EventId = 7300, EventName = "SecurityKeyAdded", Level = LogLevel.Information,
        Message = "Security key {Device} ({Algorithm}) registered for user {User} from {Source}")]
    public static partial void SecurityKeyAdded(ILogger logger, string user, string device, string algorithm, string source);

    [LoggerMessage(EventId = 7301, EventName = "SecurityKeyRemoved", Level = LogLevel.Information,
        Message = "Security key {Device} of user {User} removed")]
    public static partial void SecurityKeyRemoved(ILogger logger, string user, string device);

    [LoggerMessage(EventId = 7302, EventName = "SecurityKeyRefused", Level = LogLevel.Information,
        Message = "Security key {Purpose} of user {User} from {Source} refused ({Reason}): {Error}")]
    public static partial void SecurityKeyRefused(ILogger logger, string purpose, string user, string source, string reason, string error);

    [LoggerMessage(EventId = 7303, EventName = "SecurityKeyCloned", Level = LogLevel.Warning,
        Message = "Security key {Device} of user {User} presented a signature counter that did not grow: it may have been cloned ({Error})")]
    public static partial void SecurityKeyCloned(ILogger logger, string user, string device, string error);

    [LoggerMessage(EventId = 7304, EventName = "Reauthenticated", Level = LogLevel.Information,
        Message = "User {User} confirmed who they are ({Method}) from {Source} before registering a security key")]
    public static partial void Reauthenticated(ILogger logger, string user, string method, string source);
}
