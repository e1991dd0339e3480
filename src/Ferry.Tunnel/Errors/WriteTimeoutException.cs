namespace Ferry.Tunnel;

/// <summary>The transport did not accept written bytes within <see cref="MuxOptions.WriteTimeout"/> (stalled peer).</summary>
public sealed class WriteTimeoutException : TunnelException
{
    public WriteTimeoutException(TimeSpan timeout)
        : base($"the transport accepted no bytes for {timeout.TotalSeconds:0.###} s: the peer stopped reading")
    {
        Timeout = timeout;
    }

    /// <summary>The timeout that elapsed.</summary>
    public TimeSpan Timeout { get; }
}
