namespace Ferry.Identity;

/// <summary>The three certificate authorities of a Ferry cluster.</summary>
public enum CaKind
{
    /// <summary>Signs client identity certificates (people, CI jobs) after login.</summary>
    User,

    /// <summary>Signs host certificates for auth, proxy and agent processes at join time.</summary>
    Host,

    /// <summary>Signs the certificates agents present to databases (CN = database user) and database server certificates.</summary>
    DbClient,
}
