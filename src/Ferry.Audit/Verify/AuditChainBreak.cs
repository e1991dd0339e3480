namespace Ferry.Audit;

/// <summary>
/// The first place where the chain does not hold. <see cref="Index"/> is the 0-based position of
/// the record inside <see cref="Segment"/>; <see cref="EventId"/> is that record's id when it
/// could be read. Segment -1 means the checkpoint itself. A table store (PostgreSQL) names the row by its chain
/// position instead (<see cref="Sequence"/>).
/// </summary>
public sealed record AuditChainBreak(long Segment, int Index, string? EventId, string Reason)
{
    /// <summary>The chain position (<c>seq</c>) of the event in a table store; null for the segment store.</summary>
    public long? Sequence { get; init; }

    public override string ToString() =>
        Sequence is { } seq ? $"event seq {seq}{(EventId is null ? "" : $" (id {EventId})")}: {Reason}"
        : Segment < 0 ? Reason : $"segment {Segment}, event #{Index}{(EventId is null ? "" : $" (id {EventId})")}: {Reason}";
}
