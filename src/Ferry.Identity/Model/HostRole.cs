namespace Ferry.Identity;

/// <summary>The role a host certificate was issued for.</summary>
public enum HostRole
{
    /// <summary>An auth service (CA, users, roles, audit store).</summary>
    Auth,

    /// <summary>A proxy accepting client connections and agent tunnels.</summary>
    Proxy,

    /// <summary>A database agent dialling out to the proxies.</summary>
    Agent,
}
