namespace Ferry.Tunnel;

/// <summary>No new stream can be opened or accepted because a GoAway was sent or received.</summary>
public sealed class GoAwayException : TunnelException
{
    public GoAwayException(GoAwayCode code, bool byPeer)
        : base(byPeer ? $"the peer sent GoAway ({code}): no new streams" : $"this side sent GoAway ({code}): no new streams")
    {
        Code = code;
        ByPeer = byPeer;
    }

    /// <summary>The GoAway error code.</summary>
    public GoAwayCode Code { get; }

    /// <summary>True when the peer sent the GoAway.</summary>
    public bool ByPeer { get; }
}
