namespace Ferry.Auth;

/// <summary>
/// What <c>users add</c> / <c>users reset</c> hand to the operator once: the password (generated unless given),
/// the TOTP secret (base32) and the <c>otpauth://totp/Ferry:alice?secret=...&amp;issuer=Ferry</c> enrolment URI.
/// </summary>
public sealed record UserCredentials(string User, string Password, string TotpSecret, string OtpAuthUri);
