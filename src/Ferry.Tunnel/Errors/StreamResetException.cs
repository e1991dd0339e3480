namespace Ferry.Tunnel;

/// <summary>A stream was reset (RST), by the peer or locally.</summary>
public sealed class StreamResetException : TunnelException
{
    public StreamResetException(uint streamId, bool byPeer)
        : base(byPeer ? $"stream {streamId} was reset by the peer" : $"stream {streamId} was reset locally")
    {
        StreamId = streamId;
        ByPeer = byPeer;
    }

    /// <summary>The stream's id.</summary>
    public uint StreamId { get; }

    /// <summary>True when the peer sent the RST; false when this side reset the stream.</summary>
    public bool ByPeer { get; }
}
