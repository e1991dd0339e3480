using System.Buffers;

namespace Ferry.Protocol.Postgres;

/// <summary>
/// One regular (typed) message as it sits on the wire: the code, the declared length, the payload
/// (body after the length) and the raw frame including its 5-byte header, for relaying unchanged.
/// </summary>
public readonly struct PostgresFrame
{
    public PostgresFrame(byte code, ReadOnlySequence<byte> raw)
    {
        Code = code;
        Raw = raw;
    }

    /// <summary>The type byte (see <see cref="Frontend.FrontendMessageCode"/> and <see cref="Backend.BackendMessageCode"/>).</summary>
    public byte Code { get; }

    /// <summary>The whole frame: type byte, int32 length, body.</summary>
    public ReadOnlySequence<byte> Raw { get; }

    /// <summary>The body after the length field.</summary>
    public ReadOnlySequence<byte> Payload => Raw.Slice(PostgresFrameReader.HeaderLength);

    /// <summary>Body length in bytes (declared length minus the 4 bytes of the length itself).</summary>
    public int PayloadLength => (int)Raw.Length - PostgresFrameReader.HeaderLength;
}
