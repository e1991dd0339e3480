using Ferry.Diagnostics;
using Ferry.Identity.Tls.OpenSsl;
using Microsoft.Extensions.Logging;

namespace Ferry.Hosting;

/// <summary>
/// Makes the TLS idle sweep (<see cref="OpenSslStream"/>: it frees the record buffers of connections waiting for their
/// peer, once a second, on a timer) visible: its counters as metrics, a failure as a warning.
/// </summary>
public static class TlsIdleSweepReporting
{
    private static int s_enabled;

    /// <summary>Call once at startup (more calls do nothing).</summary>
    public static void Enable()
    {
        if (Interlocked.Exchange(ref s_enabled, 1) != 0)
        {
            return;
        }
        FerryMetrics.TrackTlsIdleSweep(static () => OpenSslStream.IdleBuffersFreed, static () => OpenSslStream.IdleSweepFailures);
        OpenSslStream.IdleSweepFailed += static e => HostLog.TlsIdleSweepFailed(FerryLogging.Factory.CreateLogger("Ferry.Tls"), e.Message);
    }
}
