namespace Ferry.Audit;

/// <summary>
/// What the auth server needs from an audit store: append shipped batches (dropping events already stored), search,
/// periodic maintenance (sealing, retention) and verification of the hash chain. Two implementations: the embedded
/// segment store (<see cref="AuditStore"/>, the default) and a PostgreSQL table shared by several auth servers
/// (<c>PostgresAuditStore</c> in Ferry.Auth). Both keep the same per-event chain, h_i = SHA-256(h_(i-1) || canonical JSON_i)
/// (<see cref="AuditChain"/>), and answer a search with the same events (<see cref="AuditQuery.Matches"/> decides).
/// Thread-safe.
/// </summary>
public interface IAuditStore : IDisposable
{
    /// <summary>Short name for logs and the CLI: "segments" or "postgres".</summary>
    string Kind { get; }

    /// <summary>Appends a batch, dropping events whose id is already stored; returns how many were stored.</summary>
    int Append(IReadOnlyList<AuditEvent> events);

    /// <summary>Events matching the query in time order (ties keep storage order), at most <see cref="AuditQuery.Limit"/>.</summary>
    IReadOnlyList<AuditEvent> Search(AuditQuery query);

    /// <summary>Seals, applies retention. Called about once a minute by the pipeline; throws on a failure (retried).</summary>
    void Maintain();

    /// <summary>Walks the whole chain and names the first break.</summary>
    AuditVerifyResult Verify();

    /// <summary>
    /// <see cref="Append"/> for callers on the thread pool (the shippers, the upload endpoint). A store that talks to a
    /// server (PostgreSQL) does it without blocking a thread; the default runs <see cref="Append"/> (local files).
    /// </summary>
    Task<int> AppendAsync(IReadOnlyList<AuditEvent> events, CancellationToken ct) =>
        ct.IsCancellationRequested ? Task.FromCanceled<int>(ct) : Task.FromResult(Append(events));

    /// <summary>
    /// <see cref="AppendAsync(IReadOnlyList{AuditEvent}, CancellationToken)"/> with the events' canonical JSON where the
    /// caller has it (an upload read by <see cref="AuditEventReader.ReadUpload(ReadOnlyMemory{byte}, List{ReadOnlyMemory{byte}})"/>):
    /// <paramref name="canonicalJson"/>[i] is empty or exactly what <see cref="AuditChain.CanonicalJson"/> makes of
    /// <paramref name="events"/>[i] now, so a store may keep those bytes instead of writing the event again. The
    /// default ignores them.
    /// </summary>
    Task<int> AppendAsync(IReadOnlyList<AuditEvent> events, IReadOnlyList<ReadOnlyMemory<byte>> canonicalJson, CancellationToken ct) =>
        AppendAsync(events, ct);

    /// <summary><see cref="Search"/> for callers on the thread pool (the search API, session playback).</summary>
    Task<IReadOnlyList<AuditEvent>> SearchAsync(AuditQuery query, CancellationToken ct) =>
        ct.IsCancellationRequested ? Task.FromCanceled<IReadOnlyList<AuditEvent>>(ct) : Task.FromResult(Search(query));

    /// <summary><see cref="Maintain"/> for the pipeline's maintenance loop.</summary>
    Task MaintainAsync(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        Maintain();
        return Task.CompletedTask;
    }
}
