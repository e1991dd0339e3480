namespace Ferry.Wire;

/// <summary>A session could not be opened; <see cref="Code"/> is the server's SQLSTATE or error number when it sent one.</summary>
public sealed class WireException : Exception
{
    public WireException()
        : this(WireFailure.Closed, "the connection closed")
    {
    }

    public WireException(string message)
        : this(WireFailure.Closed, message)
    {
    }

    public WireException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public WireException(WireFailure failure, string message, string? code = null)
        : base(message)
    {
        Failure = failure;
        Code = code;
    }

    public WireFailure Failure { get; }

    public string? Code { get; }
}
