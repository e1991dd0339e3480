namespace Ferry.Contracts;

/// <summary><c>GET /v1/roles</c>: <c>{"roles":[RoleInfo...]}</c>, the built-in admin role included.</summary>
public sealed class RolesResponse
{
    public List<RoleInfo> Roles { get; set; } = [];
}
