using Microsoft.Extensions.Logging;

namespace Ferry.Auth.Hosts;

/// <summary>
/// Log events of the auth service about what hosts may do (event ids 7000–7019): unregistered host certificates,
/// refused db-client certificates, refused inventory and audit reports, removed hosts. Names and reasons only.
/// </summary>
internal static partial class HostAccessLog
{
    [LoggerMessage(EventId = 7000, EventName = "HostNotRegistered", Level = LogLevel.Warning,
        Message = "host {HostId} ({Role}) from {Address} refused: {Reason}")]
    public static partial void HostNotRegistered(ILogger logger, string hostId, string role, string address, string reason);

    [LoggerMessage(EventId = 7001, EventName = "DbCertificateRefused", Level = LogLevel.Warning,
        Message = "db-client certificate for {DbUser}@{Database} refused to agent {HostId}: {Reason}")]
    public static partial void DbCertificateRefused(ILogger logger, string hostId, string database, string dbUser, string reason);

    [LoggerMessage(EventId = 7002, EventName = "ReportRefused", Level = LogLevel.Warning,
        Message = "{Report} from {Role} {HostId}: {Count} item(s) refused ({Reason})")]
    public static partial void ReportRefused(ILogger logger, string report, string role, string hostId, int count, string reason);

    [LoggerMessage(EventId = 7003, EventName = "HostRemoved", Level = LogLevel.Information,
        Message = "host {HostId} ({Role}) removed by {Actor}; {Databases} database binding(s) released")]
    public static partial void HostRemoved(ILogger logger, string hostId, string role, string actor, int databases);
}
