using System.Text.Json.Serialization;
using Ferry.Contracts;

namespace Ferry.Web;

/// <summary>Source-generated JSON of <c>/web/api/admin/*</c> (snake_case, no reflection).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip)]
[JsonSerializable(typeof(AdminUsers))]
[JsonSerializable(typeof(AdminUserAdd))]
[JsonSerializable(typeof(AdminUserReset))]
[JsonSerializable(typeof(AdminCredentials))]
[JsonSerializable(typeof(AdminRoles))]
[JsonSerializable(typeof(RoleInfo))]
[JsonSerializable(typeof(AdminRolePut))]
[JsonSerializable(typeof(AdminRoleSaved))]
[JsonSerializable(typeof(AdminRoleInvalid))]
[JsonSerializable(typeof(AdminLocks))]
[JsonSerializable(typeof(AdminLockAdd))]
[JsonSerializable(typeof(LockInfo))]
[JsonSerializable(typeof(AdminTokens))]
[JsonSerializable(typeof(AdminTokenAdd))]
[JsonSerializable(typeof(JoinTokenInfo))]
[JsonSerializable(typeof(AdminHosts))]
internal sealed partial class WebAdminJsonContext : JsonSerializerContext;

internal sealed class AdminUsers
{
    public List<UserInfo> Users { get; set; } = [];
}

internal sealed class AdminUserAdd
{
    public string? Name { get; set; }

    public List<string>? Roles { get; set; }

    public Dictionary<string, List<string>>? Traits { get; set; }

    /// <summary>Null: one is generated and shown once.</summary>
    public string? Password { get; set; }
}

internal sealed class AdminUserReset
{
    public string? Password { get; set; }
}

internal sealed class AdminCredentials
{
    public string User { get; set; } = "";

    public string? Password { get; set; }

    public string TotpSecret { get; set; } = "";

    public string OtpauthUri { get; set; } = "";
}

internal sealed class AdminRoles
{
    public List<RoleInfo> Roles { get; set; } = [];
}

internal sealed class AdminRolePut
{
    public string? Yaml { get; set; }
}

internal sealed class AdminRoleSaved
{
    public string Role { get; set; } = "";
}

internal sealed class AdminRoleInvalid
{
    public string Error { get; set; } = "";

    public string Code { get; set; } = "invalid_role";

    public List<AdminRoleError> Errors { get; set; } = [];
}

internal sealed class AdminRoleError
{
    public long Line { get; set; }

    public long Column { get; set; }

    public string Path { get; set; } = "";

    public string Message { get; set; } = "";
}

internal sealed class AdminLocks
{
    public List<LockInfo> Locks { get; set; } = [];
}

internal sealed class AdminLockAdd
{
    public string? Kind { get; set; }

    public string? Target { get; set; }

    public string? Message { get; set; }

    public string? Ttl { get; set; }
}

internal sealed class AdminTokens
{
    public List<JoinTokenInfo> Tokens { get; set; } = [];
}

internal sealed class AdminTokenAdd
{
    public string? Role { get; set; }

    public string? Ttl { get; set; }

    public bool MultiUse { get; set; }
}

internal sealed class AdminHosts
{
    public List<HostInfo> Hosts { get; set; } = [];
}
