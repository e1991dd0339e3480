namespace Ferry.Identity;

/// <summary>The name of a <see cref="DatabaseProtocol"/> as certificates, configuration and audit events write it.</summary>
public static class DatabaseProtocolNames
{
    /// <summary><c>postgres</c> or <c>mysql</c>.</summary>
    public static string ToName(this DatabaseProtocol protocol) => ProtocolNames.ToName(protocol);
}
