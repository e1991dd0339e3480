namespace Ferry.Contracts;

/// <summary>What went wrong with one auth API call, for <see cref="AuthApiClientOptions.Failure"/> to put into words.</summary>
public sealed record AuthApiFailure
{
    public required AuthApiFailureKind Kind { get; init; }

    /// <summary>The request path, e.g. <c>/v1/ca</c> (with its query string).</summary>
    public required string Path { get; init; }

    public required Uri BaseAddress { get; init; }

    /// <summary>The HTTP status; 0 when there was no answer.</summary>
    public int StatusCode { get; init; }

    /// <summary>The response body (an <c>{"error":…}</c> document or anything else the server sent).</summary>
    public string Body { get; init; } = "";

    /// <summary>The <c>error</c> of an <see cref="ErrorResponse"/> body; null when the body is not one.</summary>
    public string? ServerMessage { get; init; }

    /// <summary>How long the call was allowed (for <see cref="AuthApiFailureKind.TimedOut"/>).</summary>
    public TimeSpan Timeout { get; init; }

    public Exception? Cause { get; init; }
}

public enum AuthApiFailureKind
{
    /// <summary>No HTTP answer: connection refused, DNS, TLS (see <see cref="AuthApiFailure.Cause"/>).</summary>
    Unreachable,

    /// <summary>No answer within the call's timeout.</summary>
    TimedOut,

    /// <summary>An error status (<see cref="AuthApiFailure.StatusCode"/>).</summary>
    ErrorStatus,

    /// <summary>A success status with an empty (<c>null</c>) body.</summary>
    Empty,

    /// <summary>A success status with a body that is not the expected JSON.</summary>
    Malformed,
}
