namespace Ferry.Tunnel.Frames;

/// <summary>yamux frame flags (spec.md "Flag Field").</summary>
[Flags]
internal enum FrameFlags : ushort
{
    None = 0,

    /// <summary>Opens a stream; on a ping, marks the request.</summary>
    Syn = 0x1,

    /// <summary>Accepts a stream; on a ping, marks the response.</summary>
    Ack = 0x2,

    /// <summary>Half-closes the sender's direction of a stream.</summary>
    Fin = 0x4,

    /// <summary>Resets a stream immediately.</summary>
    Rst = 0x8,
}
