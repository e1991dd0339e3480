using Microsoft.Extensions.Logging;

namespace Ferry.Proxy;

/// <summary>
/// Log events of the proxy (event ids 1000–1099). Who and where, never query text or certificates:
/// a refusal names its reason word (the <c>ferry_refusals_total</c> label) and the message the client got.
/// </summary>
internal static partial class ProxyLog
{
    [LoggerMessage(EventId = 1000, EventName = "ProxyListening", Level = LogLevel.Information,
        Message = "proxy listening on {EndPoint} ({Listener})")]
    public static partial void Listening(ILogger logger, System.Net.IPEndPoint endPoint, string listener);

    [LoggerMessage(EventId = 1001, EventName = "ConnectionAccepted", Level = LogLevel.Information,
        Message = "{Protocol} client {Client} ({User}) routed to database {Database} via agent {AgentId}")]
    public static partial void Accepted(ILogger logger, string protocol, string client, string user, string database, string agentId);

    [LoggerMessage(EventId = 1002, EventName = "ConnectionRefused", Level = LogLevel.Information,
        Message = "{Protocol} client {Client} refused ({Reason}): {Detail}")]
    public static partial void Refused(ILogger logger, string protocol, string client, string reason, string detail);

    [LoggerMessage(EventId = 1003, EventName = "HandshakeFailed", Level = LogLevel.Debug,
        Message = "connection from {Client} ended during the handshake: {Error}")]
    public static partial void HandshakeFailed(ILogger logger, string client, string error);

    [LoggerMessage(EventId = 1004, EventName = "AgentStreamFailed", Level = LogLevel.Warning,
        Message = "could not open a stream to agent {AgentId} for database {Database}, trying the next: {Error}")]
    public static partial void AgentStreamFailed(ILogger logger, string agentId, string database, string error);

    [LoggerMessage(EventId = 1005, EventName = "CancelForwardFailed", Level = LogLevel.Debug,
        Message = "cancel request from {Client} not forwarded: {Error}")]
    public static partial void CancelForwardFailed(ILogger logger, string client, string error);

    [LoggerMessage(EventId = 1006, EventName = "RelayEnded", Level = LogLevel.Debug,
        Message = "relay ended: {Error}")]
    public static partial void RelayEnded(ILogger logger, string error);

    [LoggerMessage(EventId = 1007, EventName = "ConnectionRefusedAgain", Level = LogLevel.Debug,
        Message = "{Protocol} client {Client} refused again ({Reason}): {Detail}")]
    public static partial void RefusedAgain(ILogger logger, string protocol, string client, string reason, string detail);

    [LoggerMessage(EventId = 1008, EventName = "RefusalsSummarised", Level = LogLevel.Information,
        Message = "{Protocol} refusals from {Source} ({Reason}): {Count} more since the last report")]
    public static partial void RefusalsSummarised(ILogger logger, string protocol, string source, string reason, int count);

    [LoggerMessage(EventId = 1009, EventName = "AcceptFailed", Level = LogLevel.Warning,
        Message = "accepting connections on {EndPoint} failed ({Error}); retrying in {DelayMs} ms ({Failures} failures in a row)")]
    public static partial void AcceptFailed(ILogger logger, System.Net.IPEndPoint endPoint, string error, long delayMs, int failures);

    [LoggerMessage(EventId = 1010, EventName = "AcceptRecovered", Level = LogLevel.Information,
        Message = "accepting connections on {EndPoint} again after {Failures} failures")]
    public static partial void AcceptRecovered(ILogger logger, System.Net.IPEndPoint endPoint, int failures);

    [LoggerMessage(EventId = 1011, EventName = "CancelDropped", Level = LogLevel.Debug,
        Message = "cancel request from {Client} dropped ({Reason})")]
    public static partial void CancelDropped(ILogger logger, string client, string reason);

    [LoggerMessage(EventId = 1090, EventName = "ApiPassthroughFailed", Level = LogLevel.Warning,
        Message = "API connection from {Client} not passed through to the auth service: {Error}")]
    public static partial void ApiPassthroughFailed(ILogger logger, string client, string error);

    [LoggerMessage(EventId = 1091, EventName = "ApiPassthroughFailover", Level = LogLevel.Warning,
        Message = "The auth server at {From} is unreachable ({Error}); API connections now go to {To}")]
    public static partial void ApiPassthroughFailover(ILogger logger, string from, string to, string error);
}
