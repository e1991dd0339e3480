namespace Ferry.Audit;

/// <summary>Events read from the spool (as the upload's JSON array) and the position just after the last one.</summary>
internal sealed record SpoolBatch(AuditBatch Batch, SpoolPosition Next)
{
    /// <summary>Number of events read.</summary>
    public int Count => Batch.Count;

    /// <summary>The events, parsed (tests; the shipper sends <see cref="AuditBatch.Json"/> as it is).</summary>
    public IReadOnlyList<AuditEvent> Events => Batch.Events;
}
