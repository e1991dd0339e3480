namespace Ferry.Tunnel;

/// <summary>Why a <see cref="MuxSession"/> ended.</summary>
public enum SessionCloseReason
{
    /// <summary>The local side disposed the session.</summary>
    LocalClose,

    /// <summary>The peer closed the transport (end of stream).</summary>
    TransportClosed,

    /// <summary>Reading or writing the transport failed.</summary>
    TransportError,

    /// <summary>The peer broke the protocol (bad frame, window exceeded, wrong stream id).</summary>
    ProtocolError,

    /// <summary>The peer sent GoAway with a protocol or internal error code.</summary>
    RemoteGoAwayError,

    /// <summary>The peer did not answer a keepalive ping in time.</summary>
    KeepAliveTimeout,

    /// <summary>The transport did not accept written bytes within the write timeout.</summary>
    WriteTimeout,

    /// <summary>The bounded outgoing control queue overflowed (the peer floods without reading).</summary>
    QueueOverflow,
}
