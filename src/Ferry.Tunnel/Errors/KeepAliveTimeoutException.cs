namespace Ferry.Tunnel;

/// <summary>The peer did not answer a keepalive ping within <see cref="MuxOptions.KeepAliveTimeout"/>.</summary>
public sealed class KeepAliveTimeoutException : TunnelException
{
    public KeepAliveTimeoutException(TimeSpan timeout)
        : base($"the peer did not answer a keepalive ping within {timeout.TotalSeconds:0.###} s: the tunnel is dead")
    {
        Timeout = timeout;
    }

    /// <summary>The timeout that elapsed.</summary>
    public TimeSpan Timeout { get; }
}
