using Ferry.Config;

namespace Ferry.Agent.Remote;

/// <summary>A standalone agent: where it keeps its state, which proxies it dials, what it serves.</summary>
public sealed class StandaloneAgentOptions
{
    /// <summary>Host certificate (under <c>host/</c>) and the audit spool (under <c>spool/</c>).</summary>
    public required string DataDir { get; init; }

    public required string HostId { get; init; }

    /// <summary><c>host:port</c> of every proxy's port 3080. The first one is also how the agent reaches the auth API.</summary>
    public required IReadOnlyList<string> Proxies { get; init; }

    public string? JoinToken { get; init; }

    public string? CaPin { get; init; }

    public IReadOnlyList<DatabaseConfig> Databases { get; init; } = [];

    public int MaxInspectedMessage { get; init; } = 16 * 1024 * 1024;

    public Action<string> Log { get; init; } = static _ => { };

    public TimeProvider Time { get; init; } = TimeProvider.System;
}
