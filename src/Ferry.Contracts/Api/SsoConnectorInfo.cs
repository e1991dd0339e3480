namespace Ferry.Contracts;

/// <summary>One entry of <c>GET /v1/sso/connectors</c>: <c>{"name","display_name","kind","mfa"?}</c>; kind is <c>oidc</c>.</summary>
public sealed class SsoConnectorInfo
{
    public string Name { get; set; } = "";

    public string DisplayName { get; set; } = "";

    public string Kind { get; set; } = "oidc";

    /// <summary>
    /// True when the connector trusts the provider's MFA claims (its <c>mfa:</c> section): session MFA can then be passed
    /// by signing in at the provider again (<c>ferry db connect --mfa=sso</c>). Absent otherwise.
    /// </summary>
    public bool? Mfa { get; set; }
}
