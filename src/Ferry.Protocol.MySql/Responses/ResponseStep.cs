namespace Ferry.Protocol.MySql.Responses;

/// <summary>What one server packet was, as far as <see cref="ResponseTracker"/> follows the responses.</summary>
public enum ResponseStepKind : byte
{
    /// <summary>Part of a response the tracker does not look into (rows, definitions, continuations).</summary>
    Data,

    /// <summary>An OK packet (or, under CLIENT_DEPRECATE_EOF, the OK that ends a result set): <see cref="ResponseStep.Ok"/>.</summary>
    Ok,

    /// <summary>An ERR packet that ends a response.</summary>
    Err,

    /// <summary>The first packet answering a COM_STMT_PREPARE (COM_STMT_PREPARE_OK or ERR).</summary>
    PrepareFirst,

    /// <summary>A packet when no response was expected.</summary>
    Unexpected,
}

/// <summary>One server packet as the tracker classified it; <see cref="Ok"/> is valid while the packet's buffer is.</summary>
public readonly record struct ResponseStep(ResponseStepKind Kind, object? Tag, bool EndsResponse, OkPacket Ok = default)
{
    /// <summary>True for the first packet of a result-set row (text or binary protocol): what result limits count.</summary>
    public bool IsRow { get; init; }
}
