namespace Ferry.Contracts;

/// <summary>What the auth API and clients agree on for session MFA.</summary>
public static class SessionMfa
{
    /// <summary>
    /// The status of "this route needs a session MFA check first" (428 Precondition Required): the client asks for a
    /// code and retries with <see cref="UserCertificateRequest.Otp"/>.
    /// </summary>
    public const int RequiredStatus = 428;

    /// <summary>How the message of <see cref="RequiredStatus"/> starts.</summary>
    public const string RequiredMessage = "this database requires MFA per session";

    /// <summary>Whether an API error asks for a session MFA check.</summary>
    public static bool IsRequired(AuthApiException e) => e is { StatusCode: RequiredStatus };
}
