using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Ferry.Auth.Sso;

/// <summary>What an ID token must say to be accepted for one login.</summary>
internal sealed record IdTokenExpectations(string Issuer, string ClientId, string Nonce)
{
    /// <summary>How far the provider's clock may be from ours for <c>exp</c>, <c>iat</c> and <c>nbf</c>.</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromMinutes(2);
}

/// <summary>Where the validator gets the provider's keys: the cached set, or a fresh one (the source rate-limits refetches).</summary>
internal interface IVerificationKeySource
{
    ValueTask<IReadOnlyList<VerificationKey>> GetKeysAsync(bool refresh, CancellationToken ct);
}

/// <summary>
/// Validates an OpenID Connect ID token (a JWS in compact form) by hand with System.Security.Cryptography:
/// size, header (alg on the allow-list — never <c>none</c> or <c>HS*</c>; no <c>crit</c>), the signature with a key
/// of the provider's JWKS (an unknown <c>kid</c> refetches the JWKS once, which the key source rate-limits), then
/// <c>iss</c>, <c>aud</c> (and <c>azp</c> when several audiences or present), <c>exp</c>/<c>iat</c>/<c>nbf</c> with
/// a small clock skew, <c>nonce</c> and <c>sub</c>. Each failure is an <see cref="SsoFailure"/> naming the fix.
/// </summary>
internal static class IdTokenValidator
{
    /// <summary>Longest ID token accepted.</summary>
    public const int MaxTokenLength = 64 * 1024;

    public static async ValueTask<JsonElement> ValidateAsync(string token, IdTokenExpectations expect, IVerificationKeySource keys, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(expect);
        ArgumentNullException.ThrowIfNull(keys);
        if (token.Length > MaxTokenLength)
        {
            throw Malformed($"it is longer than {MaxTokenLength} characters");
        }

        var first = token.IndexOf('.', StringComparison.Ordinal);
        var second = first < 0 ? -1 : token.IndexOf('.', first + 1);
        if (first < 0 || second < 0 || token.IndexOf('.', second + 1) >= 0)
        {
            throw Malformed("it is not a signed JWT in compact form (three dot-separated parts; encrypted ID tokens are not supported)");
        }

        var headerBytes = Base64Url.TryDecode(token.AsSpan(0, first)) ?? throw Malformed("its header is not base64url");
        var payloadBytes = Base64Url.TryDecode(token.AsSpan(first + 1, second - first - 1)) ?? throw Malformed("its payload is not base64url");
        var signature = Base64Url.TryDecode(token.AsSpan(second + 1)) ?? throw Malformed("its signature is not base64url");
        JoseHeader header;
        try
        {
            header = JsonSerializer.Deserialize(headerBytes, OidcJsonContext.Default.JoseHeader) ?? throw Malformed("its header is empty");
        }
        catch (JsonException)
        {
            throw Malformed("its header is not a JSON object");
        }

        var alg = header.Alg ?? "";
        if (!VerificationKey.AllowedAlgorithms.Contains(alg))
        {
            throw new SsoFailure(SsoFailure.Reasons.Algorithm,
                $"the ID token is signed with \"{Bounded(alg)}\", which Ferry does not accept (only RS256/384/512, PS256/384/512, ES256/384/512; never none or HS*): configure the provider to sign ID tokens with RS256 or ES256");
        }

        if (header.Crit is { Count: > 0 })
        {
            throw Malformed("its header has critical extensions (crit) Ferry does not understand");
        }

        var signed = Encoding.ASCII.GetBytes(token, 0, second);
        var set = await keys.GetKeysAsync(refresh: false, ct).ConfigureAwait(false);
        var verdict = Check(set, header.Kid, alg, signed, signature);
        if (verdict == KeyVerdict.NoKey || (verdict == KeyVerdict.BadSignature && header.Kid is null))
        {
            // Key rotation: a kid we do not know yet (or, without a kid, no key that verifies): fetch the JWKS once more.
            set = await keys.GetKeysAsync(refresh: true, ct).ConfigureAwait(false);
            verdict = Check(set, header.Kid, alg, signed, signature);
        }

        if (verdict == KeyVerdict.NoKey)
        {
            throw new SsoFailure(SsoFailure.Reasons.UnknownKey, header.Kid is { } kid
                ? $"the ID token is signed with key \"{Bounded(kid)}\" ({alg}), which the provider's JWKS does not list: if the provider just rotated its keys, try again in a minute"
                : $"no key of the provider's JWKS can check the ID token's {alg} signature: if the provider just rotated its keys, try again in a minute");
        }

        if (verdict == KeyVerdict.BadSignature)
        {
            throw new SsoFailure(SsoFailure.Reasons.Signature, "the ID token's signature does not verify with the provider's key: the token was altered or does not come from this provider");
        }

        JsonElement claims;
        try
        {
            using var doc = JsonDocument.Parse(payloadBytes, new JsonDocumentOptions { MaxDepth = 16 });
            claims = doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw Malformed("its payload is not a JSON object");
        }

        if (claims.ValueKind != JsonValueKind.Object)
        {
            throw Malformed("its payload is not a JSON object");
        }

        CheckClaims(claims, expect, now);
        return claims;
    }

    private static void CheckClaims(JsonElement claims, IdTokenExpectations expect, DateTimeOffset now)
    {
        var iss = StringClaim(claims, "iss");
        if (iss != expect.Issuer)
        {
            throw new SsoFailure(SsoFailure.Reasons.Issuer,
                $"the ID token's issuer is \"{Bounded(iss ?? "(none)")}\", not the connector's issuer_url \"{expect.Issuer}\": set issuer_url to exactly the provider's issuer");
        }

        var audiences = new List<string>();
        if (claims.TryGetProperty("aud", out var aud))
        {
            if (aud.ValueKind == JsonValueKind.String)
            {
                audiences.Add(aud.GetString()!);
            }
            else if (aud.ValueKind == JsonValueKind.Array)
            {
                foreach (var a in aud.EnumerateArray())
                {
                    if (a.ValueKind == JsonValueKind.String)
                    {
                        audiences.Add(a.GetString()!);
                    }
                }
            }
        }

        if (!audiences.Contains(expect.ClientId, StringComparer.Ordinal))
        {
            throw new SsoFailure(SsoFailure.Reasons.Audience,
                $"the ID token is for audience {Bounded(string.Join(", ", audiences.Select(a => "\"" + a + "\"")))}, not this connector's client_id \"{expect.ClientId}\": check client_id (it must be the id of the application registered at the provider)");
        }

        var azp = StringClaim(claims, "azp");
        if ((audiences.Count > 1 || azp is not null) && azp != expect.ClientId)
        {
            throw new SsoFailure(SsoFailure.Reasons.Audience,
                $"the ID token was issued to party \"{Bounded(azp ?? "(none)")}\" (azp), not this connector's client_id \"{expect.ClientId}\"");
        }

        var exp = TimeClaim(claims, "exp") ?? throw Malformed("it has no exp (expiry) claim");
        var iat = TimeClaim(claims, "iat") ?? throw Malformed("it has no iat (issued at) claim");
        if (now > exp + expect.ClockSkew)
        {
            throw new SsoFailure(SsoFailure.Reasons.Expired,
                $"the ID token expired at {Stamp(exp)} (this server's time is {Stamp(now)}): log in again; if it keeps happening, the clock of this server or of the provider is wrong (synchronise them with NTP)");
        }

        if (iat > now + expect.ClockSkew)
        {
            throw new SsoFailure(SsoFailure.Reasons.ClockSkew,
                $"the ID token was issued at {Stamp(iat)}, in the future of this server's clock ({Stamp(now)}, {(int)expect.ClockSkew.TotalSeconds}s of skew allowed): synchronise the clocks of this server and the provider (NTP)");
        }

        if (TimeClaim(claims, "nbf") is { } nbf && nbf > now + expect.ClockSkew)
        {
            throw new SsoFailure(SsoFailure.Reasons.ClockSkew,
                $"the ID token is not valid before {Stamp(nbf)} and this server's time is {Stamp(now)}: synchronise the clocks of this server and the provider (NTP)");
        }

        var nonce = StringClaim(claims, "nonce") ?? "";
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(nonce), Encoding.UTF8.GetBytes(expect.Nonce)))
        {
            throw new SsoFailure(SsoFailure.Reasons.Nonce, "the ID token's nonce does not match this login (a replayed or substituted token): start the login again");
        }

        if (string.IsNullOrEmpty(StringClaim(claims, "sub")))
        {
            throw Malformed("it has no sub (subject) claim");
        }
    }

    private enum KeyVerdict
    {
        Verified,
        BadSignature,
        NoKey,
    }

    private static KeyVerdict Check(IReadOnlyList<VerificationKey> keys, string? kid, string alg, byte[] signed, byte[] signature)
    {
        var tried = false;
        foreach (var key in keys)
        {
            if ((kid is not null && key.Kid != kid) || !key.Supports(alg))
            {
                continue;
            }

            tried = true;
            if (key.Verify(alg, signed, signature))
            {
                return KeyVerdict.Verified;
            }
        }

        return tried ? KeyVerdict.BadSignature : KeyVerdict.NoKey;
    }

    internal static string? StringClaim(JsonElement claims, string name) =>
        claims.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    internal static DateTimeOffset? TimeClaim(JsonElement claims, string name)
    {
        if (!claims.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var seconds))
        {
            return null;
        }

        return seconds is > 0 and < 253402300799 ? DateTimeOffset.FromUnixTimeSeconds((long)seconds) : null;
    }

    private static SsoFailure Malformed(string why) =>
        new(SsoFailure.Reasons.Malformed, "the provider's ID token is not valid: " + why);

    private static string Stamp(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Bounded(string value) => value.Length <= 200 ? value : string.Concat(value.AsSpan(0, 200), "…");
}
