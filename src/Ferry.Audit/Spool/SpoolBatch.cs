namespace Ferry.Audit;

/// <summary>Events read from the spool and the position just after the last one.</summary>
internal sealed record SpoolBatch(IReadOnlyList<AuditEvent> Events, SpoolPosition Next);
