namespace Ferry.Identity;

/// <summary>What a CA key is used for during rotation. Every key of a CA is trusted for verification.</summary>
public enum CaKeyStatus
{
    /// <summary>Signs new certificates (exactly one per CA).</summary>
    Signing,

    /// <summary>Added by the <c>add</c> phase: trusted, not yet signing. Distribute the new roots, then switch.</summary>
    Pending,

    /// <summary>Demoted by the <c>switch</c> phase: still trusted so certificates it signed keep working, until retire.</summary>
    Previous,
}
