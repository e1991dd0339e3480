using Ferry.Identity;

namespace Ferry.Auth;

/// <summary>
/// Wire names of host roles and database protocols (same spelling as Ferry.Identity's encoding, whose helper
/// is internal there).
/// </summary>
internal static class WireNames
{
    public static bool TryParseRole(string name, out HostRole role)
    {
        (var ok, role) = name switch
        {
            "auth" => (true, HostRole.Auth),
            "proxy" => (true, HostRole.Proxy),
            "agent" => (true, HostRole.Agent),
            _ => (false, HostRole.Auth),
        };
        return ok;
    }

    public static string ToName(HostRole role) => role switch
    {
        HostRole.Auth => "auth",
        HostRole.Proxy => "proxy",
        _ => "agent",
    };

    public static bool TryParseProtocol(string name, out DatabaseProtocol protocol)
    {
        (var ok, protocol) = name switch
        {
            "postgres" => (true, DatabaseProtocol.Postgres),
            "mysql" => (true, DatabaseProtocol.MySql),
            _ => (false, DatabaseProtocol.Postgres),
        };
        return ok;
    }
}
