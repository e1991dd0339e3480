using Microsoft.Extensions.Logging;

namespace Ferry.Auth;

/// <summary>Log events about API connections refused before TLS (ids 7113–7119).</summary>
internal static partial class AuthLog
{
    [LoggerMessage(EventId = 7113, EventName = "ApiConnectionRefusalsSummarised", Level = LogLevel.Information,
        Message = "{Count} more API connections from {Client} refused ({Reason}) in the last {WindowSeconds}s")]
    public static partial void ConnectionRefusalsSummarised(ILogger logger, string client, string reason, long count, long windowSeconds);
}
