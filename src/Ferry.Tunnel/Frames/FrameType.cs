namespace Ferry.Tunnel.Frames;

/// <summary>yamux frame types (spec.md "Type Field").</summary>
internal enum FrameType : byte
{
    /// <summary>Stream data; the length field is the payload length.</summary>
    Data = 0x0,

    /// <summary>Adds the length field to the receiver's send window for the stream.</summary>
    WindowUpdate = 0x1,

    /// <summary>Session ping; the length field is an opaque value echoed back.</summary>
    Ping = 0x2,

    /// <summary>Session termination; the length field is a <see cref="GoAwayCode"/>.</summary>
    GoAway = 0x3,
}
