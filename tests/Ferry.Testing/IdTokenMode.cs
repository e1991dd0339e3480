namespace Ferry.Testing;

/// <summary>What the test provider's token endpoint does to ID tokens (see <see cref="OidcProviderFixture.SetIdTokenModeAsync"/>).</summary>
public enum IdTokenMode
{
    Normal,
    Tampered,
    WrongAudience,
    Expired,
    WrongNonce,
    WrongIssuer,

    /// <summary>A valid token whose <c>auth_time</c> is an hour old: a provider that did not sign the user in again.</summary>
    StaleAuthTime,
}
