namespace Ferry.Audit;

/// <summary>Options of <see cref="AuditStore"/>.</summary>
public sealed class AuditStoreOptions
{
    /// <summary>The active segment is sealed (compressed) once it holds this many bytes. Default 64 MiB.</summary>
    public long MaxSegmentBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>
    /// The active segment is sealed once it is this old (checked on append and by
    /// <see cref="AuditStore.Maintain"/>). Until sealed, removing events from the very end of the
    /// active segment looks like a crash's torn tail, so this bounds that window. Default 15 min.
    /// </summary>
    public TimeSpan MaxSegmentAge { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Sealed segments whose newest event is older than this are dropped. Null keeps everything.</summary>
    public TimeSpan? Retention { get; init; }

    /// <summary>A source (a spool) not heard from for this long is forgotten by the duplicate check. Default 7 days.</summary>
    public TimeSpan DedupeWindow { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Most sources the duplicate check remembers (one number each); past it the least recently seen quarter is forgotten. Default 65,536.</summary>
    public int MaxDedupeSources { get; init; } = 65_536;

    /// <summary>Most ids of events without a source (an older release's) the duplicate check remembers. Default 65,536.</summary>
    public int MaxDedupeIds { get; init; } = 65_536;

    /// <summary>
    /// HMAC-SHA256 key for the checkpoint file (anchor and per-segment end hashes). Null writes an
    /// unsigned checkpoint. With a key kept away from the data directory, a person who can write
    /// the data directory cannot rewrite the chain and the checkpoint consistently.
    /// </summary>
    public byte[]? CheckpointKey { get; init; }

    /// <summary>
    /// zstd level for sealed segments. Default 1: on recorded pgbench audit segments it compresses as well as level 3
    /// (7.2x against 7.1x) in half the time (perf/results/2026-12-05-seal-level.md), and sealing runs on the ingest path.
    /// </summary>
    public int CompressionLevel { get; init; } = 1;

    /// <summary>fsync each appended batch and every metadata file. Default true.</summary>
    public bool Fsync { get; init; } = true;

    /// <summary>Clock (tests move time). Default system time.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
