using System.Buffers;

namespace Ferry.Protocol.MySql;

/// <summary>
/// Malformed or hostile MySQL/MariaDB wire input. <see cref="Exception.Message"/> is fit to send to the
/// client in an ERR packet (see <see cref="WriteErrPacket"/>).
/// </summary>
public sealed class MySqlProtocolException : Exception
{
    /// <summary>ER_MALFORMED_PACKET.</summary>
    public const ushort MalformedPacket = 1835;

    /// <summary>ER_NET_PACKET_TOO_LARGE.</summary>
    public const ushort PacketTooLarge = 1153;

    public MySqlProtocolException()
        : this("Malformed communication packet.")
    {
    }

    public MySqlProtocolException(string message)
        : this(message, MalformedPacket)
    {
    }

    public MySqlProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
        ErrorCode = MalformedPacket;
    }

    public MySqlProtocolException(string message, ushort errorCode)
        : base(message)
    {
        ErrorCode = errorCode;
    }

    public ushort ErrorCode { get; }

    /// <summary>SQLSTATE 08S01 (communication link failure), as the server reports for both codes.</summary>
    public static string SqlState => "08S01";

    /// <summary>Writes an ERR packet with this error's code, SQLSTATE and message.</summary>
    public void WriteErrPacket(IBufferWriter<byte> writer, byte sequenceId, Packets.MySqlCapabilities capabilities) =>
        Responses.ErrPacket.Write(writer, sequenceId, capabilities, ErrorCode, SqlState, Message);
}
