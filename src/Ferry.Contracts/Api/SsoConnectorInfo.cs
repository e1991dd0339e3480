namespace Ferry.Contracts;

/// <summary>One entry of <c>GET /v1/sso/connectors</c>: <c>{"name","display_name","kind"}</c>; kind is <c>oidc</c>.</summary>
public sealed class SsoConnectorInfo
{
    public string Name { get; set; } = "";

    public string DisplayName { get; set; } = "";

    public string Kind { get; set; } = "oidc";
}
