namespace Ferry.Identity;

/// <summary>Wire names of <see cref="DatabaseProtocol"/> and <see cref="HostRole"/> values.</summary>
internal static class ProtocolNames
{
    public static string ToName(DatabaseProtocol protocol) => protocol switch
    {
        DatabaseProtocol.Postgres => "postgres",
        DatabaseProtocol.MySql => "mysql",
        _ => throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "unknown database protocol"),
    };

    public static bool TryParse(string name, out DatabaseProtocol protocol)
    {
        switch (name)
        {
            case "postgres":
                protocol = DatabaseProtocol.Postgres;
                return true;
            case "mysql":
                protocol = DatabaseProtocol.MySql;
                return true;
            default:
                protocol = default;
                return false;
        }
    }

    public static string ToName(HostRole role) => role switch
    {
        HostRole.Auth => "auth",
        HostRole.Proxy => "proxy",
        HostRole.Agent => "agent",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "unknown host role"),
    };

    public static bool TryParse(string name, out HostRole role)
    {
        switch (name)
        {
            case "auth":
                role = HostRole.Auth;
                return true;
            case "proxy":
                role = HostRole.Proxy;
                return true;
            case "agent":
                role = HostRole.Agent;
                return true;
            default:
                role = default;
                return false;
        }
    }
}
