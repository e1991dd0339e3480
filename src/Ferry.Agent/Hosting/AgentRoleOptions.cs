using Ferry.Config;
using Ferry.Hosting;

namespace Ferry.Agent.Hosting;

/// <summary>
/// The agent role's settings, mapped from <c>ferry.yaml</c> in one place for every host that runs it:
/// <c>ferry-agent</c>, <c>ferryd</c> with an agent section, and the agent of <c>ferryd --all-in-one</c>.
/// </summary>
public sealed record AgentRoleOptions
{
    /// <summary>The standalone agent's limit when the file has no proxy section (see <c>proxy.max_message_bytes</c> in the docs).</summary>
    public const int DefaultMaxInspectedMessage = 16 * 1024 * 1024;

    public required string HostId { get; init; }

    /// <summary>A standalone agent's host certificate (under <c>host/</c>) and audit spool (under <c>spool/</c>).</summary>
    public required string DataDir { get; init; }

    /// <summary><c>host:port</c> of every proxy's port 3080. The first one is also how a standalone agent reaches the auth API.</summary>
    public IReadOnlyList<string> Proxies { get; init; } = [];

    public string? JoinToken { get; init; }

    public string? CaPin { get; init; }

    public IReadOnlyList<DatabaseConfig> Databases { get; init; } = [];

    /// <summary>Largest client message held whole for its audit event: <c>proxy.max_message_bytes</c>.</summary>
    public int MaxInspectedMessage { get; init; } = DefaultMaxInspectedMessage;

    /// <summary>How much of a statement or parameter an audit event keeps: <c>agent.max_statement_bytes</c>.</summary>
    public int MaxStatementBytes { get; init; } = AgentSection.DefaultMaxStatementBytes;

    public Action<string> Log { get; init; } = static _ => { };

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// The agent section of <paramref name="config"/> (which must have one), with <c>proxy.max_message_bytes</c>
    /// when the file has a proxy section; <paramref name="dataDir"/> is where this host keeps the agent's state.
    /// </summary>
    public static AgentRoleOptions FromConfig(FerryConfig config, string dataDir, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(config);
        var agent = config.Agent ?? throw new ConfigException("the configuration has no agent section");
        return new AgentRoleOptions
        {
            HostId = HostIds.Agent(agent.HostId),
            DataDir = dataDir,
            Proxies = agent.Proxies,
            JoinToken = agent.JoinToken,
            CaPin = agent.CaPin,
            Databases = agent.Databases,
            MaxInspectedMessage = config.Proxy is { } proxy ? (int)Math.Min(proxy.MaxMessageBytes, int.MaxValue) : DefaultMaxInspectedMessage,
            MaxStatementBytes = agent.MaxStatementBytes,
            Log = log,
        };
    }
}
