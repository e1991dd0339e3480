using System.Buffers;

namespace Ferry.Protocol.Postgres.Startup;

/// <summary>
/// The untyped first packet of a connection (or the packet after an SSL/GSS refusal):
/// StartupMessage, SSLRequest, GSSENCRequest or CancelRequest.
/// </summary>
public readonly struct StartupPacket
{
    public StartupPacket(StartupPacketKind kind, int code, ReadOnlySequence<byte> raw)
    {
        Kind = kind;
        Code = code;
        Raw = raw;
    }

    public StartupPacketKind Kind { get; }

    /// <summary>The 4-byte code after the length: protocol version or request code.</summary>
    public int Code { get; }

    /// <summary>The whole packet including its length.</summary>
    public ReadOnlySequence<byte> Raw { get; }

    /// <summary>Bytes after the length and code.</summary>
    public ReadOnlySequence<byte> Payload => Raw.Slice(StartupPacketReader.HeaderLength);

    /// <summary>Protocol major version of a StartupMessage (3).</summary>
    public int MajorVersion => Code >> 16;

    /// <summary>Protocol minor version of a StartupMessage (0 or 2; higher asks for negotiation).</summary>
    public int MinorVersion => Code & 0xFFFF;
}
