using Ferry.Config;
using Ferry.Contracts;

namespace Ferry.Agent;

/// <summary>From the <c>agent.databases</c> configuration to what the agent serves and announces.</summary>
public static class AgentDatabases
{
    /// <param name="dbClientCaPem">Roots for the database's server certificate when the entry names no <c>tls.ca_file</c>.</param>
    public static AgentDatabase FromConfig(DatabaseConfig d, string dbClientCaPem)
    {
        ArgumentNullException.ThrowIfNull(d);
        Units.TryParseHostPort(d.Uri, out var host, out var port);
        return new AgentDatabase
        {
            Name = d.Name,
            Protocol = d.Protocol == DatabaseProtocol.Postgres ? Ferry.Identity.DatabaseProtocol.Postgres : Ferry.Identity.DatabaseProtocol.MySql,
            Host = host,
            Port = port,
            Description = d.Description,
            Labels = d.Labels,
            TlsMode = d.TlsMode switch
            {
                DatabaseTlsMode.VerifyCa => DatabaseTlsVerification.VerifyCa,
                DatabaseTlsMode.Insecure => DatabaseTlsVerification.Insecure,
                _ => DatabaseTlsVerification.VerifyFull,
            },
            TlsCaPem = d.TlsCaFile is not null ? File.ReadAllText(d.TlsCaFile) : dbClientCaPem,
            TlsServerName = d.TlsServerName,
            Pool = d.Pool,
            HealthCheckUser = d.HealthCheckUser,
        };
    }

    /// <summary>What a heartbeat says about <paramref name="d"/>: identity, labels, health and the server version seen.</summary>
    public static DatabaseEntry Describe(AgentDatabase d, AgentContext ctx)
    {
        ArgumentNullException.ThrowIfNull(d);
        ArgumentNullException.ThrowIfNull(ctx);
        var error = ctx.Health.Error(d.Name);
        return new DatabaseEntry
        {
            Name = d.Name,
            Protocol = Ferry.Identity.DatabaseProtocolNames.ToName(d.Protocol),
            Description = d.Description,
            Labels = new Dictionary<string, string>(d.Labels, StringComparer.Ordinal),
            ServerVersion = ctx.MySql.ServerVersion(d.Name),
            Collation = ctx.MySql.Collation(d.Name) is > 0 and var collation ? collation : null,
            Healthy = error is null,
            HealthError = error,
        };
    }
}
