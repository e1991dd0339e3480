namespace Ferry.Identity;

/// <summary>Rotation phase of one CA, derived from the statuses of its keys.</summary>
public enum CaRotationPhase
{
    /// <summary>One key, signing. Next step: <see cref="CertificateAuthorityStore.AddKey"/>.</summary>
    Standby,

    /// <summary>A pending key is trusted but not signing. Next step: <see cref="CertificateAuthorityStore.SwitchSigningKey"/>.</summary>
    Added,

    /// <summary>The new key signs, the old one is still trusted. Next step: <see cref="CertificateAuthorityStore.RetireOldKeys"/>.</summary>
    Switched,
}
