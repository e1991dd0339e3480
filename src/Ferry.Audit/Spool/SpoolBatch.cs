namespace Ferry.Audit;

/// <summary>
/// Events read from the spool (as the upload's JSON array) and the position just after the last one; <paramref name="Full"/>
/// when the read stopped at its event or byte budget (more may follow at once).
/// </summary>
internal sealed record SpoolBatch(AuditBatch Batch, SpoolPosition Next, bool Full = false)
{
    /// <summary>Number of events read.</summary>
    public int Count => Batch.Count;

    /// <summary>The events, parsed (tests; the shipper sends <see cref="AuditBatch.Json"/> as it is).</summary>
    public IReadOnlyList<AuditEvent> Events => Batch.Events;

    /// <summary>The buffer <see cref="AuditBatch.Json"/> lives in: handed back by <see cref="AuditSpool.Recycle"/> once the batch is done with.</summary>
    internal System.Buffers.ArrayBufferWriter<byte>? Buffer { get; init; }
}
