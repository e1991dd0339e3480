using Ferry.Contracts;

namespace Ferry.Auth.Sso;

/// <summary>
/// Where pending SSO logins wait between <c>/v1/sso/{connector}/login</c>, the provider's callback and
/// <c>/v1/sso/result</c>: in memory (<see cref="SsoPendingLogins"/>, one auth server) or in the shared backend
/// (<see cref="BackendSsoPendingLogins"/>, so that each step may land on another auth server).
/// </summary>
internal interface ISsoPendingStore
{
    int PerSource { get; }

    /// <summary>Adds a login; false when the store or the source's share is full.</summary>
    ValueTask<bool> TryAddAsync(PendingSsoLogin login, CancellationToken ct);

    /// <summary>The login a callback's <c>state</c> belongs to, once.</summary>
    ValueTask<PendingSsoLogin?> TakeStateAsync(string state, CancellationToken ct);

    /// <summary>Records the callback's outcome; the result may be fetched for <see cref="SsoPendingLogins.ResultLifetime"/>.</summary>
    ValueTask CompleteAsync(PendingSsoLogin login, UserCertificateResponse? result, AuthException? error, CancellationToken ct);

    /// <summary>Hands out the outcome of a finished login to the holder of its secret, once.</summary>
    ValueTask<(SsoPendingLogins.Outcome Outcome, PendingSsoLogin? Login)> TryTakeResultAsync(string requestId, byte[] secret, CancellationToken ct);
}
