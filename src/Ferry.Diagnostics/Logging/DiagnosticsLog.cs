using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Ferry.Diagnostics;

/// <summary>Log events of the diagnostics listener (event ids 5000–5099).</summary>
internal static partial class DiagnosticsLog
{
    [LoggerMessage(EventId = 5000, EventName = "DiagnosticsListening", Level = LogLevel.Information,
        Message = "diagnostics listening on http://{EndPoint} (/metrics, /healthz, /readyz)")]
    public static partial void Listening(ILogger logger, IPEndPoint endPoint);

    [LoggerMessage(EventId = 5001, EventName = "DiagnosticsAcceptFailed", Level = LogLevel.Debug,
        Message = "diagnostics accept failed: {Error}")]
    public static partial void AcceptFailed(ILogger logger, SocketError error);

    [LoggerMessage(EventId = 5002, EventName = "DiagnosticsRequestAbandoned", Level = LogLevel.Debug,
        Message = "diagnostics request abandoned: {Error}")]
    public static partial void RequestAbandoned(ILogger logger, string error);
}
