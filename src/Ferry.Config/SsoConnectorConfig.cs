namespace Ferry.Config;

/// <summary>
/// One single sign-on connector: an entry of <c>auth.sso</c> in <c>ferry.yaml</c>, or one stored with
/// <c>ferryd admin sso add -f FILE</c> (the same keys). Only OpenID Connect (<c>kind: oidc</c>) exists.
/// Read by <see cref="SsoConnectorParser"/>, which checks every value.
/// </summary>
public sealed record SsoConnectorConfig
{
    /// <summary>Connector name: <c>ferry login --sso NAME</c>, and the <c>connector</c> in certificates and audit events.</summary>
    public required string Name { get; init; }

    public string Kind { get; init; } = "oidc";

    /// <summary>What login screens show; defaults to the name.</summary>
    public string DisplayName { get; init; } = "";

    /// <summary>The provider's issuer (<c>iss</c>); its discovery document is <c>ISSUER/.well-known/openid-configuration</c>.</summary>
    public required string IssuerUrl { get; init; }

    public required string ClientId { get; init; }

    /// <summary>File holding the client secret (mode 0600, owned by ferryd's user); null for a public client (PKCE only).</summary>
    public string? ClientSecretFile { get; init; }

    public IReadOnlyList<string> Scopes { get; init; } = DefaultScopes;

    /// <summary><c>https://PROXY_PUBLIC_ADDR/v1/sso/callback</c>: registered at the provider as the redirect URI.</summary>
    public required string RedirectUrl { get; init; }

    /// <summary>The claim that becomes the Ferry user name (default <c>email</c>; <c>sub</c> always exists).</summary>
    public string UsernameClaim { get; init; } = "email";

    public IReadOnlyList<ClaimRoleRule> ClaimsToRoles { get; init; } = [];

    /// <summary>Provider MFA claims trusted as a second factor (for session MFA); null = never trusted.</summary>
    public SsoMfaClaims? Mfa { get; init; }

    /// <summary>PEM file of the CA(s) that sign the provider's HTTPS certificate, for a provider with a private CA.</summary>
    public string? CaFile { get; init; }

    public static readonly IReadOnlyList<string> DefaultScopes = ["openid", "email", "profile"];

    /// <summary>The display name, or the name when none was set.</summary>
    public string ShownName => DisplayName.Length > 0 ? DisplayName : Name;
}

/// <summary>
/// One <c>claims_to_roles</c> rule: when claim <see cref="Claim"/> (a string, or any element of an array of strings)
/// matches the glob <see cref="Value"/>, the user gets <see cref="Roles"/>.
/// </summary>
public sealed record ClaimRoleRule
{
    public required string Claim { get; init; }

    public required string Value { get; init; }

    public required IReadOnlyList<string> Roles { get; init; }
}

/// <summary>
/// <c>mfa: { amr: [...], acr: [...] }</c>: the ID token proves a second factor when its <c>amr</c> array holds one of
/// <see cref="Amr"/> or its <c>acr</c> equals one of <see cref="Acr"/> (and <c>auth_time</c> is fresh).
/// </summary>
public sealed record SsoMfaClaims
{
    public IReadOnlyList<string> Amr { get; init; } = [];

    public IReadOnlyList<string> Acr { get; init; } = [];
}
