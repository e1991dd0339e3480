namespace Ferry.Protocol.Postgres;

/// <summary>
/// Malformed or hostile PostgreSQL wire input. <see cref="Exception.Message"/> is fit to send to the client
/// in an ErrorResponse (see <see cref="WriteErrorResponse"/>); it never contains a stack trace or a byte dump.
/// </summary>
public sealed class PostgresProtocolException : Exception
{
    /// <summary>SQLSTATE 08P01: protocol_violation.</summary>
    public const string ProtocolViolation = "08P01";

    public PostgresProtocolException()
        : this("protocol violation")
    {
    }

    public PostgresProtocolException(string message)
        : this(message, ProtocolViolation)
    {
    }

    public PostgresProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
        SqlState = ProtocolViolation;
    }

    public PostgresProtocolException(string message, string sqlState)
        : base(message)
    {
        SqlState = sqlState;
    }

    /// <summary>Five-character SQLSTATE to report, 08P01 unless stated otherwise.</summary>
    public string SqlState { get; }

    /// <summary>Writes a FATAL ErrorResponse carrying this exception's SQLSTATE and message.</summary>
    public void WriteErrorResponse(System.Buffers.IBufferWriter<byte> writer) =>
        Backend.ErrorResponse.Write(writer, "FATAL", SqlState, Message);
}
