namespace Ferry.Identity;

/// <summary>The database a user certificate is routed to, with the default database user and name.</summary>
/// <param name="ServiceName">Name of the registered database service.</param>
/// <param name="Protocol">Wire protocol of the service.</param>
/// <param name="DbUser">Default database user ("" when not chosen yet).</param>
/// <param name="DbName">Default database name ("" when not chosen yet).</param>
public sealed record DatabaseRoute(string ServiceName, DatabaseProtocol Protocol, string DbUser, string DbName);
