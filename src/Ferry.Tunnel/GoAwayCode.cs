namespace Ferry.Tunnel;

/// <summary>Error codes carried by a GoAway frame (spec.md "Session termination").</summary>
public enum GoAwayCode : uint
{
    /// <summary>Normal termination: no new streams, open ones finish.</summary>
    Normal = 0x0,

    /// <summary>The sender saw a protocol violation.</summary>
    ProtocolError = 0x1,

    /// <summary>The sender failed internally.</summary>
    InternalError = 0x2,
}
