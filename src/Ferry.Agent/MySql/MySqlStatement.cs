using Ferry.Protocol.MySql.Commands;

namespace Ferry.Agent.MySql;

/// <summary>A prepared statement as the agent tracks it to decode COM_STMT_EXECUTE for audit.</summary>
internal sealed class MySqlStatement(string query, int parameterCount)
{
    public string Query { get; } = query;

    public int ParameterCount { get; } = parameterCount;

    /// <summary>The types last bound (an execute may reuse them without sending types).</summary>
    public MySqlParameterType[] Types { get; } = new MySqlParameterType[parameterCount];

    public bool TypesKnown { get; set; }

    /// <summary>Bit i: parameter i was sent with COM_STMT_SEND_LONG_DATA since the last execute or reset.</summary>
    public ulong LongDataMask { get; set; }

    /// <summary>
    /// Rows and bytes COM_STMT_FETCH has returned from this statement's cursor since its last execute (response side;
    /// the client waits for each fetch's answer before it executes again).
    /// </summary>
    public long CursorRows { get; set; }

    public long CursorBytes { get; set; }
}
