namespace Ferry.Hosting;

/// <summary>
/// The one rule naming a host in its certificate, in audit events and in the inventory: the configured
/// <c>host_id</c> when there is one, otherwise derived from the machine name (lower case). A standalone
/// host keeps its certificate under this name, so the rule must not change between releases.
/// </summary>
public static class HostIds
{
    private static string Machine => Environment.MachineName.ToLowerInvariant();

    /// <summary>An agent: <c>agent.host_id</c>, or the machine name.</summary>
    public static string Agent(string? configured) => string.IsNullOrEmpty(configured) ? Machine : configured;

    /// <summary>A proxy: <c>proxy-MACHINE-PORT</c>, so that two proxies on one machine report their inventories apart.</summary>
    public static string Proxy(int listenPort) => $"proxy-{Machine}-{listenPort}";

    /// <summary>The auth service: <c>auth-MACHINE</c>.</summary>
    public static string Auth() => "auth-" + Machine;

    /// <summary>
    /// An auth server: <c>auth.server_id</c>, or <c>auth-MACHINE-PORT</c>, so that two auth servers on one backend (on
    /// one machine or on machines with the same name) stamp their audit events apart.
    /// </summary>
    public static string Auth(string? configured, int listenPort) =>
        !string.IsNullOrEmpty(configured) ? configured : listenPort > 0 ? $"auth-{Machine}-{listenPort}" : Auth();
}
