namespace Ferry.Auth.Sso;

/// <summary>
/// A single sign-on step that failed: <see cref="Reason"/> is the word counted and audited
/// (<c>ferry_sso_logins_total{result}</c>, <c>details.reason</c>), the message says the cause and the fix.
/// </summary>
internal sealed class SsoFailure(string reason, string message, int statusCode = 401) : Exception(message)
{
    public string Reason { get; } = reason;

    public int StatusCode { get; } = statusCode;

    /// <summary>The reason words (a fixed vocabulary: metric label values).</summary>
    public static class Reasons
    {
        public const string Provider = "provider_unreachable";
        public const string ProviderError = "provider_error";
        public const string UnknownIssuer = "unknown_issuer";
        public const string Malformed = "malformed_token";
        public const string Algorithm = "bad_algorithm";
        public const string UnknownKey = "unknown_key";
        public const string Signature = "bad_signature";
        public const string Issuer = "wrong_issuer";
        public const string Audience = "wrong_audience";
        public const string Expired = "expired";
        public const string ClockSkew = "clock_skew";
        public const string Nonce = "nonce_mismatch";
        public const string State = "unknown_state";
        public const string NoUser = "no_username";
        public const string NoRole = "no_role_mapped";
        public const string Locked = "locked";
        public const string Denied = "access_denied";
        public const string Throttled = "throttled";
        public const string InvalidRequest = "invalid_request";
        public const string WrongSecret = "wrong_secret";
        public const string Issue = "issue_failed";

        /// <summary>A re-authentication came back as another user than the signed-in one.</summary>
        public const string WrongUser = "wrong_user";

        /// <summary>A re-authentication whose <c>auth_time</c> shows the provider did not authenticate the user again.</summary>
        public const string NotFresh = "not_fresh";
    }
}
