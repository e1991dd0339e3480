namespace Ferry.Contracts;

/// <summary>The auth API answered with an error status (or could not be reached: <see cref="StatusCode"/> 0).</summary>
public sealed class AuthApiException(int statusCode, string message, Exception? inner = null) : Exception(message, inner)
{
    public int StatusCode { get; } = statusCode;
}
