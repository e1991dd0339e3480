namespace Ferry.Client;

/// <summary>The auth API answered that the route requires MFA per session (<c>428</c>): ask for a one-time code and retry.</summary>
public sealed class SessionMfaRequiredException : FerryClientException
{
    public SessionMfaRequiredException()
    {
    }

    public SessionMfaRequiredException(string message)
        : base(message)
    {
    }

    public SessionMfaRequiredException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
