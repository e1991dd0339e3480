namespace Ferry.Audit;

/// <summary>Options of <see cref="AuditSpool"/>.</summary>
public sealed class AuditSpoolOptions
{
    /// <summary>A segment is closed and a new one started once it reaches this size. Default 8 MiB.</summary>
    public long MaxSegmentBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>
    /// When false, batches are written but not fsync'd (tests and benchmarks of the no-fsync cost only).
    /// Default true.
    /// </summary>
    public bool Fsync { get; init; } = true;

    /// <summary>
    /// How long an append waits for the spool while another one is stuck writing (a stalled disk) before it fails
    /// with <see cref="AuditSpoolUnavailableException"/>, and how long a failing write (disk full) is retried by
    /// <see cref="SpoolingAuditSink"/>. Default 10 s.
    /// </summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Longest time an acknowledged position stays in memory only: the ack cursor file is written (and fsync'd) at most
    /// this often, and at once when a whole segment is acknowledged (so it can be deleted) and when the spool closes.
    /// A crash in between re-sends what was acknowledged since the last write, which the store drops as duplicates;
    /// nothing is lost. Zero writes the cursor on every acknowledgement. Default 1 s.
    /// </summary>
    public TimeSpan AckPersistInterval { get; init; } = TimeSpan.FromSeconds(1);
}
