namespace Ferry.Agent;

/// <summary>The agent could not connect to a database; the message is fit for the client.</summary>
public sealed class DatabaseConnectException : Exception
{
    public DatabaseConnectException()
    {
    }

    public DatabaseConnectException(string message)
        : base(message)
    {
    }

    public DatabaseConnectException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
