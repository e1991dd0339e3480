namespace Ferry.Tunnel;

/// <summary>The multiplexer session is closed; <see cref="Reason"/> says why.</summary>
public sealed class SessionClosedException : TunnelException
{
    public SessionClosedException(SessionCloseReason reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
    }

    /// <summary>Why the session ended.</summary>
    public SessionCloseReason Reason { get; }
}
