using System.Text.Json.Serialization;

namespace Ferry.Auth.Sso;

/// <summary>The fields of an OpenID Provider's discovery document (<c>/.well-known/openid-configuration</c>) that Ferry uses.</summary>
internal sealed class OidcDiscoveryDocument
{
    public string? Issuer { get; set; }

    public string? AuthorizationEndpoint { get; set; }

    public string? TokenEndpoint { get; set; }

    public string? JwksUri { get; set; }

    public List<string>? TokenEndpointAuthMethodsSupported { get; set; }

    public List<string>? CodeChallengeMethodsSupported { get; set; }

    public List<string>? IdTokenSigningAlgValuesSupported { get; set; }
}

/// <summary>A JSON Web Key Set (RFC 7517 §5).</summary>
internal sealed class JsonWebKeySet
{
    public List<JsonWebKey>? Keys { get; set; }
}

/// <summary>One JSON Web Key: RSA (<c>n</c>, <c>e</c>) or EC (<c>crv</c>, <c>x</c>, <c>y</c>).</summary>
internal sealed class JsonWebKey
{
    public string? Kty { get; set; }

    public string? Kid { get; set; }

    public string? Use { get; set; }

    public string? Alg { get; set; }

    public string? N { get; set; }

    public string? E { get; set; }

    public string? Crv { get; set; }

    public string? X { get; set; }

    public string? Y { get; set; }
}

/// <summary>The token endpoint's answer (RFC 6749 §5.1, OIDC Core §3.1.3.3), or its error (§5.2).</summary>
internal sealed class OidcTokenResponse
{
    public string? IdToken { get; set; }

    public string? TokenType { get; set; }

    public string? Error { get; set; }

    public string? ErrorDescription { get; set; }
}

/// <summary>The JOSE header of an ID token.</summary>
internal sealed class JoseHeader
{
    public string? Alg { get; set; }

    public string? Kid { get; set; }

    public string? Typ { get; set; }

    public List<string>? Crit { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(OidcDiscoveryDocument))]
[JsonSerializable(typeof(JsonWebKeySet))]
[JsonSerializable(typeof(OidcTokenResponse))]
[JsonSerializable(typeof(JoseHeader))]
internal sealed partial class OidcJsonContext : JsonSerializerContext;
