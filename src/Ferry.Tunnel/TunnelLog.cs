using Microsoft.Extensions.Logging;

namespace Ferry.Tunnel;

/// <summary>
/// Log events of agent tunnels, written by both ends (event ids 2000–2099): the proxy that accepts them
/// and the agent that dials them. <c>Side</c> is <c>proxy</c> or <c>agent</c>.
/// </summary>
public static partial class TunnelLog
{
    [LoggerMessage(EventId = 2000, EventName = "TunnelUp", Level = LogLevel.Information,
        Message = "tunnel up ({Side}): agent {AgentId}, peer {Peer}")]
    public static partial void Up(ILogger logger, string side, string agentId, string peer);

    [LoggerMessage(EventId = 2001, EventName = "TunnelDown", Level = LogLevel.Information,
        Message = "tunnel down ({Side}): agent {AgentId}, peer {Peer}: {Reason}")]
    public static partial void Down(ILogger logger, string side, string agentId, string peer, string reason);

    [LoggerMessage(EventId = 2002, EventName = "TunnelRejected", Level = LogLevel.Warning,
        Message = "tunnel from {Peer} rejected: {Reason}")]
    public static partial void Rejected(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 2003, EventName = "TunnelConnectFailed", Level = LogLevel.Warning,
        Message = "tunnel to {Proxy} failed, retrying: {Error}")]
    public static partial void ConnectFailed(ILogger logger, string proxy, string error);

    [LoggerMessage(EventId = 2004, EventName = "TunnelConnectStillFailing", Level = LogLevel.Debug,
        Message = "tunnel to {Proxy} still failing: {Error}")]
    public static partial void ConnectStillFailing(ILogger logger, string proxy, string error);

    [LoggerMessage(EventId = 2005, EventName = "TunnelHeartbeatsEnded", Level = LogLevel.Debug,
        Message = "heartbeat stream of agent {AgentId} ended: {Reason}")]
    public static partial void HeartbeatsEnded(ILogger logger, string agentId, string reason);

    [LoggerMessage(EventId = 2007, EventName = "TunnelHeartbeatRefused", Level = LogLevel.Warning,
        Message = "heartbeat of agent {AgentId} refused, the agent is out of the inventory until its tunnel reconnects: {Reason}")]
    public static partial void HeartbeatRefused(ILogger logger, string agentId, string reason);

    [LoggerMessage(EventId = 2006, EventName = "TunnelOfRemovedAgentClosed", Level = LogLevel.Warning,
        Message = "closed {Count} tunnel(s) of agent {AgentId}: its host was removed (ferryd admin hosts rm); its sessions end")]
    public static partial void RemovedAgentClosed(ILogger logger, string agentId, int count);
}
