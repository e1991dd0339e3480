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

    /// <summary>
    /// True for a body that is not what the endpoint takes (not JSON, a null where a value must be): the API logs and
    /// counts it as a refusal (<c>bad_request</c>), as it does a malformed HTTP request. Other 400s are answers about
    /// the request's meaning, which the service records where it decides them.
    /// </summary>
    public bool MalformedInput { get; private init; }

    internal static AuthException BadRequest(string message) => new(400, message);

    internal static AuthException Malformed(string message) => new(400, message) { MalformedInput = true };

    internal static AuthException NotFound(string message) => new(404, message);

    internal static AuthException Forbidden(string message) => new(403, message);

    internal static AuthException Conflict(string message) => new(409, message);
}
