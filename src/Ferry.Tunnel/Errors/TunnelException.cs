namespace Ferry.Tunnel;

/// <summary>
/// The base of every error the tunnel multiplexer raises: a reset stream, a GoAway, a closed session, a
/// keepalive or write timeout, a protocol violation. A tunnel failure is an I/O failure of the path to
/// the other side, so it is an <see cref="IOException"/>; callers that treat "the tunnel broke" as one case
/// catch this type.
/// </summary>
public abstract class TunnelException : IOException
{
    protected TunnelException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
