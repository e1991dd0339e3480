using System.Net;
using Ferry.Diagnostics.Http;
using Ferry.Diagnostics.Prometheus;
using Microsoft.Extensions.Logging;

namespace Ferry.Diagnostics;

/// <summary>
/// The diagnostics of one host process: the Prometheus exporter of the <c>Ferry</c> meter and the
/// <c>/metrics</c>, <c>/healthz</c>, <c>/readyz</c> listener on <c>diag_addr</c>, answering readiness
/// from <see cref="Readiness.Process"/>. A host starts it before its roles so that no measurement is
/// missed, and disposes it last.
/// </summary>
public sealed class DiagnosticsHost : IAsyncDisposable
{
    private readonly PrometheusExporter _exporter;
    private readonly DiagnosticsServer _server;

    private DiagnosticsHost(IPEndPoint endPoint, Readiness readiness, ILoggerFactory loggers)
    {
        _exporter = new PrometheusExporter(FerryMetrics.MeterName);
        try
        {
            _server = new DiagnosticsServer(endPoint, _exporter.Scrape, readiness.Check, loggers.CreateLogger("Ferry.Diagnostics"));
        }
        catch
        {
            _exporter.Dispose();
            throw;
        }
    }

    public IPEndPoint EndPoint => _server.EndPoint;

    /// <summary>
    /// Starts the diagnostics listener on <paramref name="diagAddr"/> (<c>host:port</c>, an IP address), or
    /// returns null when it is not set. Throws <see cref="System.Net.Sockets.SocketException"/> when the
    /// address is taken, and <see cref="FormatException"/> when it is not an IP endpoint.
    /// </summary>
    public static DiagnosticsHost? StartIfConfigured(string? diagAddr, ILoggerFactory? loggers = null, Readiness? readiness = null)
    {
        if (string.IsNullOrWhiteSpace(diagAddr))
        {
            return null;
        }
        loggers ??= FerryLogging.Factory;
        var address = diagAddr.StartsWith("localhost:", StringComparison.Ordinal) ? "127.0.0.1" + diagAddr[9..] : diagAddr;
        var host = new DiagnosticsHost(IPEndPoint.Parse(address), readiness ?? Readiness.Process, loggers);
        host._server.Start();
        DiagnosticsLog.Listening(loggers.CreateLogger("Ferry.Diagnostics"), host.EndPoint);
        return host;
    }

    /// <summary>
    /// For a host's start-up: <see cref="StartIfConfigured"/>, or false after writing one <c>error:</c> line naming
    /// <c>diag_addr</c> and the cause (address in use, not an IP endpoint).
    /// </summary>
    public static bool TryStart(string? diagAddr, TextWriter error, out DiagnosticsHost? host)
    {
        ArgumentNullException.ThrowIfNull(error);
        try
        {
            host = StartIfConfigured(diagAddr);
            return true;
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or FormatException)
        {
            error.WriteLine($"error: diag_addr {diagAddr}: {e.Message}");
            host = null;
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _exporter.Dispose();
    }
}
