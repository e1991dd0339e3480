namespace Ferry.Client;

/// <summary>How session MFA is passed: <c>--mfa=auto|sso|otp</c>.</summary>
public enum SessionMfaMethod
{
    /// <summary>A one-time code when one was given (<c>--otp</c>, <c>FERRY_OTP</c>); else the identity provider for a single sign-on login whose connector trusts the provider's MFA; else a one-time code.</summary>
    Auto,

    /// <summary>Sign in at the identity provider again (the login's connector must trust the provider's MFA).</summary>
    Sso,

    /// <summary>A one-time code of a TOTP device (the local login's, or one added with <c>ferry mfa add</c>).</summary>
    Otp,
}

/// <summary>What <see cref="SessionMfaIssuer"/> may use to pass session MFA.</summary>
public sealed class SessionMfaOptions
{
    public SessionMfaMethod Method { get; init; }

    /// <summary>Asks for a one-time code (null: none can be asked).</summary>
    public OtpPrompt? Otp { get; init; }

    /// <summary>A code was given up front (<c>--otp</c>, <c>FERRY_OTP</c>): <see cref="SessionMfaMethod.Auto"/> uses it.</summary>
    public bool OtpGiven { get; init; }

    /// <summary>Shows the provider's page (opens a browser, or prints the address); null: no single sign-on here.</summary>
    public Action<Uri, DateTimeOffset>? OpenBrowser { get; init; }

    /// <summary>How long to wait for the browser.</summary>
    public TimeSpan BrowserTimeout { get; init; } = SsoLogin.DefaultTimeout;

    /// <summary>The command to run again, for messages (<c>ferry db connect pg1</c>).</summary>
    public string Command { get; init; } = "the command";

    /// <summary>One-time codes only, from <paramref name="prompt"/>.</summary>
    public static SessionMfaOptions OtpOnly(OtpPrompt? prompt) => new() { Method = SessionMfaMethod.Otp, Otp = prompt };

    /// <summary>Parses <c>--mfa</c>: auto (default), sso or otp.</summary>
    public static SessionMfaMethod ParseMethod(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => SessionMfaMethod.Auto,
        "sso" => SessionMfaMethod.Sso,
        "otp" or "totp" => SessionMfaMethod.Otp,
        _ => throw new FerryClientException($"--mfa {value} is not a way to pass MFA: use auto, sso (sign in at the identity provider again) or otp (a one-time code)"),
    };
}
