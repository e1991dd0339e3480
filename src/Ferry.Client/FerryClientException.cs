namespace Ferry.Client;

/// <summary>
/// A failure a person can act on: the message names the cause and the fix in one line
/// (e.g. "your login expired 3m ago: run `ferry login --proxy HOST:3080 --user alice`"). Never carries a stack trace to the user.
/// </summary>
public class FerryClientException : Exception
{
    public FerryClientException()
    {
    }

    public FerryClientException(string message)
        : base(message)
    {
    }

    public FerryClientException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
