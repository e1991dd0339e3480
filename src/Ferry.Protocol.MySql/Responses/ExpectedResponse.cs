namespace Ferry.Protocol.MySql.Responses;

/// <summary>The shape of the server's answer to one client command, as <see cref="ResponseTracker"/> follows it.</summary>
public enum ExpectedResponse : byte
{
    /// <summary>OK, ERR, or one or more result sets (COM_QUERY, COM_STMT_EXECUTE, COM_INIT_DB, COM_PING, …).</summary>
    Generic,

    /// <summary>COM_STMT_PREPARE_OK with its parameter and column definitions, or ERR.</summary>
    Prepare,

    /// <summary>Column definitions up to EOF, or ERR (COM_FIELD_LIST).</summary>
    FieldList,

    /// <summary>Rows up to EOF, or ERR (COM_STMT_FETCH).</summary>
    Rows,

    /// <summary>One packet (COM_STATISTICS' text, or ERR).</summary>
    SinglePacket,

    /// <summary>Packets until the connection ends (a replication stream).</summary>
    Stream,
}
