using Ferry.Contracts;

namespace Ferry.Auth.Model;

/// <summary>
/// A pending SSO login in the shared backend (<c>/sso/pending/REQUEST_ID</c>). The client's 32-byte result secret is
/// stored only as its SHA-256; the <c>state</c> only as the SHA-256 in its index key (<c>/sso/state/HASH</c>).
/// </summary>
internal sealed class SsoPendingRecord
{
    public required string RequestId { get; init; }

    public required string Nonce { get; init; }

    public required string CodeVerifier { get; init; }

    public required string Connector { get; init; }

    public required string ClientRedirect { get; init; }

    public bool Web { get; init; }

    public required string SecretSha256 { get; init; }

    public required string PublicKeyPem { get; init; }

    public long? TtlSeconds { get; init; }

    public RouteRequest? Route { get; init; }

    public bool RequestMfaGrant { get; init; }

    public string? ReauthUser { get; init; }

    public string? ReauthBinding { get; init; }

    public required string Source { get; init; }

    public required string ClientAddr { get; init; }

    public required DateTimeOffset Started { get; init; }

    public required DateTimeOffset Expires { get; init; }

    public UserCertificateResponse? Result { get; init; }

    public int? ErrorStatus { get; init; }

    public string? ErrorMessage { get; init; }
}
