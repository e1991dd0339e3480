using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Ferry.Web;

internal sealed class WebAuthnLoginBeginRequest
{
    public string? User { get; set; }
}

internal sealed class WebAuthnSessionBeginRequest
{
    public string? Database { get; set; }
}

internal sealed class WebAuthnLoginFinishRequest
{
    public string? User { get; set; }

    public string? Password { get; set; }

    public string? ChallengeId { get; set; }

    public JsonElement Credential { get; set; }
}

/// <summary><c>POST /webauthn/register/begin</c>: the fresh re-authentication, password + one-time code or <see cref="Reauth"/>.</summary>
internal sealed class WebAuthnRegisterBeginRequest
{
    public string? Password { get; set; }

    public string? Otp { get; set; }

    public WebAuthnAssertion? Reauth { get; set; }

    /// <summary>Confirmed by signing in again at the SSO provider (<c>/web/api/sso/start?reauth=1</c>) moments ago.</summary>
    public bool Sso { get; set; }
}

/// <summary>An assertion answering a challenge handed out by one of the <c>.../begin</c> endpoints.</summary>
internal sealed class WebAuthnAssertion
{
    public string? ChallengeId { get; set; }

    public JsonElement Credential { get; set; }
}

internal sealed class WebAuthnRegisterFinishRequest
{
    public string? ChallengeId { get; set; }

    public string? Name { get; set; }

    public JsonElement Credential { get; set; }
}

internal sealed class WebAuthnBeginResponse
{
    public string ChallengeId { get; set; } = "";

    public JsonObject Options { get; set; } = [];
}

internal sealed class WebAuthnRegistered
{
    public string Device { get; set; } = "";
}

internal sealed class WebMfaDeviceInfo
{
    public string Name { get; set; } = "";

    public string Kind { get; set; } = "";

    public DateTimeOffset Added { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(WebAuthnLoginBeginRequest))]
[JsonSerializable(typeof(WebAuthnSessionBeginRequest))]
[JsonSerializable(typeof(WebAuthnLoginFinishRequest))]
[JsonSerializable(typeof(WebAuthnRegisterBeginRequest))]
[JsonSerializable(typeof(WebAuthnRegisterFinishRequest))]
[JsonSerializable(typeof(WebAuthnBeginResponse))]
[JsonSerializable(typeof(WebAuthnRegistered))]
[JsonSerializable(typeof(List<WebMfaDeviceInfo>))]
internal sealed partial class WebAuthnJsonContext : JsonSerializerContext;
