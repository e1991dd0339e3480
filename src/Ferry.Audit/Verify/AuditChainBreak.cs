namespace Ferry.Audit;

/// <summary>
/// The first place where the chain does not hold. <see cref="Index"/> is the 0-based position of
/// the record inside <see cref="Segment"/>; <see cref="EventId"/> is that record's id when it
/// could be read. Segment -1 means the checkpoint itself.
/// </summary>
public sealed record AuditChainBreak(long Segment, int Index, string? EventId, string Reason)
{
    public override string ToString() =>
        Segment < 0 ? Reason : $"segment {Segment}, event #{Index}{(EventId is null ? "" : $" (id {EventId})")}: {Reason}";
}
