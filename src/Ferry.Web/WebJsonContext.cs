using System.Text.Json.Serialization;

namespace Ferry.Web;

/// <summary>Source-generated JSON of the web API (snake_case, no reflection).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip)]
[JsonSerializable(typeof(WebError))]
[JsonSerializable(typeof(WebLoginRequest))]
[JsonSerializable(typeof(WebSessionInfo))]
[JsonSerializable(typeof(List<WebDatabase>))]
[JsonSerializable(typeof(ConsoleOpenRequest))]
[JsonSerializable(typeof(ConsoleInfo))]
[JsonSerializable(typeof(ConsoleQueryRequest))]
[JsonSerializable(typeof(ConsoleQueryResult))]
[JsonSerializable(typeof(ConsoleRows))]
[JsonSerializable(typeof(SchemaObjects))]
[JsonSerializable(typeof(SchemaColumns))]
[JsonSerializable(typeof(SchemaDatabases))]
[JsonSerializable(typeof(WebRequestCreate))]
[JsonSerializable(typeof(WebRequestReview))]
internal sealed partial class WebJsonContext : JsonSerializerContext;

internal sealed class WebError
{
    public string Error { get; set; } = "";

    public string Code { get; set; } = "";
}

internal sealed class WebLoginRequest
{
    public string? User { get; set; }

    public string? Password { get; set; }

    public string? Otp { get; set; }
}

internal sealed class WebSessionInfo
{
    public string User { get; set; } = "";

    public List<string> Roles { get; set; } = [];

    public string CsrfToken { get; set; } = "";

    public DateTimeOffset Expires { get; set; }

    public DateTimeOffset IdleExpires { get; set; }

    public WebCan Can { get; set; } = new();

    public WebMfa Mfa { get; set; } = new();

    /// <summary>The SSO connector the user signed in through (null for a password or security-key sign-in).</summary>
    public string? Connector { get; set; }
}

internal sealed class WebCan
{
    public bool Audit { get; set; }

    public bool Admin { get; set; }

    public bool Review { get; set; }
}

internal sealed class WebMfa
{
    public bool Totp { get; set; }

    public bool Webauthn { get; set; }
}

internal sealed class WebDatabase
{
    public string Name { get; set; } = "";

    public string Protocol { get; set; } = "";

    public string Description { get; set; } = "";

    public Dictionary<string, string> Labels { get; set; } = [];

    public string Health { get; set; } = "unknown";

    public string? HealthError { get; set; }

    public List<string> DbUsers { get; set; } = [];

    public List<string> DbNames { get; set; } = [];

    public bool RequireSessionMfa { get; set; }

    public Dictionary<string, string> Connect { get; set; } = [];
}

internal sealed class ConsoleOpenRequest
{
    public string? Database { get; set; }

    public string? DbUser { get; set; }

    public string? DbName { get; set; }

    public string? MfaCode { get; set; }

    /// <summary>Session MFA with a security key instead of <see cref="MfaCode"/> (from <c>POST /webauthn/session/begin</c>).</summary>
    public ConsoleSecurityKey? Webauthn { get; set; }
}

internal sealed class ConsoleSecurityKey
{
    public string? ChallengeId { get; set; }

    public System.Text.Json.JsonElement Credential { get; set; }
}

internal sealed class ConsoleInfo
{
    public string ConsoleId { get; set; } = "";

    public string Database { get; set; } = "";

    public string DbUser { get; set; } = "";

    public string DbName { get; set; } = "";

    public string Protocol { get; set; } = "";
}

internal sealed class ConsoleQueryRequest
{
    public string? Sql { get; set; }

    public int? PageSize { get; set; }
}

internal sealed class ConsoleColumn
{
    public string Name { get; set; } = "";

    public string Type { get; set; } = "";
}

internal sealed class ConsoleError
{
    public string Code { get; set; } = "";

    public string Message { get; set; } = "";

    public string? Detail { get; set; }
}

internal sealed class ConsoleQueryResult
{
    public List<ConsoleColumn>? Columns { get; set; }

    public List<List<string?>>? Rows { get; set; }

    public long? RowCount { get; set; }

    public bool? HasMore { get; set; }

    public string? Tag { get; set; }

    public double? DurationMs { get; set; }

    public List<string>? Notices { get; set; }

    public bool? Truncated { get; set; }

    public ConsoleError? Error { get; set; }
}

internal sealed class ConsoleRows
{
    public List<List<string?>> Rows { get; set; } = [];

    public int Offset { get; set; }

    public bool HasMore { get; set; }
}

internal sealed class SchemaObject
{
    public string Schema { get; set; } = "";

    public string Name { get; set; } = "";

    public string Kind { get; set; } = "";
}

internal sealed class SchemaObjects
{
    public List<SchemaObject> Objects { get; set; } = [];
}

internal sealed class SchemaColumn
{
    public string Name { get; set; } = "";

    public string Type { get; set; } = "";

    public bool Nullable { get; set; }
}

internal sealed class SchemaColumns
{
    public List<SchemaColumn> Columns { get; set; } = [];
}

internal sealed class SchemaDatabases
{
    public List<string> Databases { get; set; } = [];
}

internal sealed class WebRequestCreate
{
    public List<string>? Roles { get; set; }

    public List<string>? Resources { get; set; }

    public string? Reason { get; set; }

    /// <summary>How long the access should last, e.g. <c>1h</c>; the roles' default when absent.</summary>
    public string? Duration { get; set; }
}

internal sealed class WebRequestReview
{
    /// <summary><c>approve</c> or <c>deny</c>.</summary>
    public string? Decision { get; set; }

    public string? Reason { get; set; }
}
