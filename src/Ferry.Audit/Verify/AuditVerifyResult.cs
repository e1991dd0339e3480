namespace Ferry.Audit;

/// <summary>Outcome of <see cref="AuditVerifier.Verify"/>.</summary>
public sealed record AuditVerifyResult(bool Ok, int SegmentsChecked, long EventsChecked, AuditChainBreak? FirstBroken)
{
    /// <summary>One line for a person: "ok: 12 segments, 1000000 events" or where it breaks.</summary>
    public override string ToString() => Ok
        ? $"ok: {SegmentsChecked} segments, {EventsChecked} events, hash chain intact"
        : $"BROKEN after {EventsChecked} good events: {FirstBroken}";
}
