namespace Ferry.Identity;

/// <summary>Immutable snapshot of one CA's keys; replaced as a whole on rotation.</summary>
internal sealed class CaKeyRing
{
    public CaKeyRing(CaKind kind, CaKeyEntry[] keys)
    {
        Kind = kind;
        Keys = keys;
        Signing = keys.Single(k => k.Status == CaKeyStatus.Signing);
        Phase = keys.Any(k => k.Status == CaKeyStatus.Pending) ? CaRotationPhase.Added
            : keys.Any(k => k.Status == CaKeyStatus.Previous) ? CaRotationPhase.Switched
            : CaRotationPhase.Standby;
    }

    public CaKind Kind { get; }
    public CaKeyEntry[] Keys { get; }
    public CaKeyEntry Signing { get; }
    public CaRotationPhase Phase { get; }
}
