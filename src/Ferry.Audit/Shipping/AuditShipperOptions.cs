using Ferry.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Ferry.Audit;

/// <summary>Options of <see cref="AuditShipper"/>.</summary>
public sealed class AuditShipperOptions
{
    /// <summary>Most events per upload. Default 1000.</summary>
    public int MaxBatch { get; init; } = 1000;

    /// <summary>
    /// Most bytes of JSON per upload (one event larger than this still goes alone). Default 4 MiB, a quarter of the
    /// auth service's default upload limit (<c>MaxAuditUploadBytes</c>, 16 MiB): a thousand events with statements of
    /// up to <c>agent.max_statement_bytes</c> would be refused, and a refused upload is retried, not skipped.
    /// </summary>
    public int MaxBatchBytes { get; init; } = AuditSpool.DefaultMaxBatchBytes;

    /// <summary>First wait after a failed upload. Default 200 ms.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest wait between retries. Default 30 s.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Shortest time between two uploads that are not full batches. The first event after a quiet spell
    /// ships at once; while events trickle in they gather for up to this long, so a busy agent makes a few
    /// uploads a second instead of one per query. Default 200 ms.
    /// </summary>
    public TimeSpan Linger { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How often the spool is polled even without a wake-up. Default 1 s.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Where upload failures and recoveries are logged; the process's factory by default.</summary>
    public ILogger Log { get; init; } = FerryLogging.Factory.CreateLogger("Ferry.Audit");
}
