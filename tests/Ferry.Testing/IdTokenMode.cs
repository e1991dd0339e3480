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
}
