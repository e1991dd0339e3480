namespace Ferry.Config;

/// <summary>
/// <c>notifications.webhook</c>: where the auth service POSTs access-request events, signed with HMAC-SHA256 using the
/// secret in <see cref="SecretFile"/> (header <c>Ferry-Signature: t=UNIX,v1=HEX</c>).
/// </summary>
public sealed record WebhookConfig
{
    /// <summary>An http or https URL.</summary>
    public required Uri Url { get; init; }

    /// <summary>File holding the shared secret (at least 16 bytes; surrounding whitespace ignored).</summary>
    public required string SecretFile { get; init; }

    /// <summary>Timeout of one POST (default 5s, at most 60s).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Attempts per notification, the first included (default 5, 1 to 10); the wait doubles from 1s.</summary>
    public int MaxAttempts { get; init; } = 5;
}
