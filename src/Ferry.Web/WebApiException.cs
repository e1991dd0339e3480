namespace Ferry.Web;

/// <summary>A refusal of a web API call: HTTP status, a stable code and a message for people (cause and fix).</summary>
public sealed class WebApiException : Exception
{
    public WebApiException(int status, string code, string message, TimeSpan? retryAfter = null)
        : base(message)
    {
        Status = status;
        Code = code;
        RetryAfter = retryAfter;
    }

    public WebApiException()
        : this(500, "internal", "internal error")
    {
    }

    public WebApiException(string message)
        : this(400, "bad_request", message)
    {
    }

    public WebApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = 400;
        Code = "bad_request";
    }

    public int Status { get; }

    public string Code { get; }

    public TimeSpan? RetryAfter { get; }

    internal static WebApiException BadRequest(string message) => new(400, "bad_request", message);

    internal static WebApiException NotFound(string message) => new(404, "not_found", message);

    internal static WebApiException Forbidden(string code, string message) => new(403, code, message);

    /// <summary>The stable code for an HTTP status the auth service chose.</summary>
    public static string CodeFor(int status) => status switch
    {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        409 => "conflict",
        413 => "too_large",
        428 => "mfa_required",
        429 => "throttled",
        502 => "database_unreachable",
        503 => "unavailable",
        _ => "error",
    };
}
