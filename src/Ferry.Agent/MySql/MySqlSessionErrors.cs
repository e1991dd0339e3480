using System.Buffers;
using Ferry.Protocol.MySql;
using Ferry.Protocol.MySql.Packets;
using Ferry.Protocol.MySql.Responses;

namespace Ferry.Agent.MySql;

/// <summary>ERR packets the agent sends on its own, each naming the cause.</summary>
internal static class MySqlSessionErrors
{
    /// <summary>ER_ACCESS_DENIED_ERROR.</summary>
    public const ushort AccessDenied = 1045;

    /// <summary>ER_TOO_MANY_USER_CONNECTIONS: the user holds the most sessions the roles' <c>max_sessions</c> allows.</summary>
    public const ushort TooManyUserConnections = 1203;

    /// <summary>ER_DBACCESS_DENIED_ERROR.</summary>
    public const ushort DbAccessDenied = 1044;

    /// <summary>ER_NOT_SUPPORTED_YET.</summary>
    public const ushort NotSupported = 1235;

    /// <summary>ER_CONNECTION_KILLED.</summary>
    public const ushort ConnectionKilled = 1927;

    /// <summary>ER_SPECIFIC_ACCESS_DENIED_ERROR.</summary>
    public const ushort SpecificAccessDenied = 1227;

    /// <summary>ER_UNKNOWN_COM_ERROR.</summary>
    public const ushort UnknownCommand = 1047;

    /// <summary>ER_UNKNOWN_ERROR.</summary>
    public const ushort Unknown = 1105;

    /// <summary>The capabilities every client that reaches the agent has (the proxy requires protocol 4.1).</summary>
    private const MySqlCapabilities Caps = MySqlCapabilities.Protocol41;

    public static byte[] Packet(byte sequenceId, ushort code, string sqlState, string message)
    {
        var w = new ArrayBufferWriter<byte>(64 + message.Length * 3);
        ErrPacket.Write(w, sequenceId, Caps, code, sqlState, "ferry: " + message);
        return w.WrittenSpan.ToArray();
    }

    public static byte[] Malformed(string what) =>
        Packet(1, MySqlProtocolException.MalformedPacket, MySqlProtocolException.SqlState, $"malformed packet ({what}): closing this connection");
}
