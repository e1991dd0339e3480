namespace Ferry.Auth;

/// <summary>A refusal with a message for people (cause and fix) and the HTTP status the API maps it to.</summary>
public sealed class AuthException : Exception
{
    public AuthException(int statusCode, string message, TimeSpan? retryAfter = null)
        : base(message)
    {
        StatusCode = statusCode;
        RetryAfter = retryAfter;
    }

    public AuthException()
        : this(500, "internal error")
    {
    }

    public AuthException(string message)
        : this(400, message)
    {
    }

    public AuthException(string message, Exception innerException)
        : base(message, innerException)
    {
        StatusCode = 400;
    }

    /// <summary>400 bad request, 401 bad credentials, 403 forbidden/locked, 404 not found, 409 conflict, 429 throttled.</summary>
    public int StatusCode { get; }

    /// <summary>For 429: when to try again.</summary>
    public TimeSpan? RetryAfter { get; }

    internal static AuthException BadRequest(string message) => new(400, message);

    internal static AuthException NotFound(string message) => new(404, message);

    internal static AuthException Forbidden(string message) => new(403, message);

    internal static AuthException Conflict(string message) => new(409, message);
}
