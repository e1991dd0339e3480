using Microsoft.Extensions.Logging;

namespace Ferry.Web;

/// <summary>
/// Log events of the web UI (event ids 8000–8099). Who, from where and why, bounded; never passwords, codes, cookies,
/// CSRF tokens or query text.
/// </summary>
internal static partial class WebLog
{
    [LoggerMessage(EventId = 8000, EventName = "WebLogin", Level = LogLevel.Information,
        Message = "Web session started for user {User} from {Source} until {Expires}")]
    public static partial void SessionStarted(ILogger logger, string user, string source, DateTimeOffset expires);

    [LoggerMessage(EventId = 8001, EventName = "WebSessionEnded", Level = LogLevel.Information,
        Message = "Web session of user {User} ended ({Reason}); {Consoles} consoles closed")]
    public static partial void SessionEnded(ILogger logger, string user, string reason, int consoles);

    [LoggerMessage(EventId = 8002, EventName = "WebRequestRefused", Level = LogLevel.Information,
        Message = "Web request {Method} {Path} from {Source} refused ({Reason})")]
    public static partial void RequestRefused(ILogger logger, string method, string path, string source, string reason);

    [LoggerMessage(EventId = 8003, EventName = "WebSessionsFull", Level = LogLevel.Warning,
        Message = "Web login refused: {Max} web sessions are open (web session limit)")]
    public static partial void SessionsFull(ILogger logger, int max);

    [LoggerMessage(EventId = 8004, EventName = "WebConsoleOpened", Level = LogLevel.Information,
        Message = "Web console {Console} of user {User} opened to {Database} as db user {DbUser}")]
    public static partial void ConsoleOpened(ILogger logger, string console, string user, string database, string dbUser);

    [LoggerMessage(EventId = 8005, EventName = "WebConsoleRefused", Level = LogLevel.Information,
        Message = "Web console of user {User} to {Database} as db user {DbUser} refused: {Reason}")]
    public static partial void ConsoleRefused(ILogger logger, string user, string database, string dbUser, string reason);

    [LoggerMessage(EventId = 8006, EventName = "WebConsoleClosed", Level = LogLevel.Information,
        Message = "Web console {Console} to {Database} closed: {Reason}")]
    public static partial void ConsoleClosed(ILogger logger, string console, string database, string reason);

    [LoggerMessage(EventId = 8007, EventName = "WebConsoleCancel", Level = LogLevel.Information,
        Message = "Web console {Console} to {Database}: cancel requested ({Result})")]
    public static partial void ConsoleCancel(ILogger logger, string console, string database, string result);

    [LoggerMessage(EventId = 8008, EventName = "WebInternalError", Level = LogLevel.Error,
        Message = "Web request {Method} {Path} failed: {Error}")]
    public static partial void InternalError(ILogger logger, string method, string path, string error);
}
