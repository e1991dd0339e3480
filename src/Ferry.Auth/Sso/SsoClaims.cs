using System.Text.Json;
using Ferry.Config;
using Ferry.Rbac;

namespace Ferry.Auth.Sso;

/// <summary>What a validated ID token gives a login: the user name, the roles its claims map to, the external traits.</summary>
internal sealed record SsoClaimsMapping(string User, IReadOnlyList<string> Roles, IReadOnlyList<string> MatchedRules, IReadOnlyDictionary<string, IReadOnlyList<string>> Traits, bool MfaClaimed);

/// <summary>
/// Turns ID token claims into a Ferry login: <c>username_claim</c> (falling back to <c>sub</c> when the claim is absent),
/// <c>claims_to_roles</c> (glob on a string claim or on any element of an array of strings), and every other string or
/// string-array claim as an external trait (<c>{{external.CLAIM}}</c>), bounded in count and length.
/// </summary>
internal static class SsoClaims
{
    public const int MaxTraits = 32;
    public const int MaxValuesPerTrait = 32;
    public const int MaxValueLength = 256;
    public const int MaxTraitBytes = 8 * 1024;

    /// <summary>Claims about the token itself, not the user: never traits.</summary>
    private static readonly HashSet<string> ProtocolClaims = new(StringComparer.Ordinal)
    {
        "iss", "aud", "exp", "iat", "nbf", "nonce", "at_hash", "c_hash", "azp", "auth_time", "jti", "sid", "acr", "amr", "s_hash", "uti", "rh",
    };

    public static SsoClaimsMapping Map(SsoConnectorConfig connector, JsonElement claims, DateTimeOffset now, DateTimeOffset loginStarted)
    {
        var user = IdTokenValidator.StringClaim(claims, connector.UsernameClaim);
        if (string.IsNullOrEmpty(user))
        {
            user = IdTokenValidator.StringClaim(claims, "sub");
        }
        else if (connector.UsernameClaim == "email" && claims.TryGetProperty("email_verified", out var verified) && verified.ValueKind == JsonValueKind.False)
        {
            throw new SsoFailure(SsoFailure.Reasons.NoUser,
                $"the provider says the email address \"{Bounded(user)}\" is not verified: verify it at the provider, or set the connector's username_claim to another claim", 403);
        }

        if (string.IsNullOrEmpty(user) || user.Length > AuthService.MaxNameLength || !user.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '@'))
        {
            throw new SsoFailure(SsoFailure.Reasons.NoUser,
                $"the ID token's {connector.UsernameClaim} claim (\"{Bounded(user ?? "")}\") is not a usable Ferry user name (1-{AuthService.MaxNameLength} letters, digits, _ - . @): set the connector's username_claim to a claim that is (e.g. email, preferred_username or sub)", 403);
        }

        var roles = new List<string>();
        var matched = new List<string>();
        foreach (var rule in connector.ClaimsToRoles)
        {
            if (FirstMatch(claims, rule) is { } value)
            {
                matched.Add($"{rule.Claim}={Bounded(value)}");
                foreach (var role in rule.Roles)
                {
                    if (!roles.Contains(role, StringComparer.Ordinal))
                    {
                        roles.Add(role);
                    }
                }
            }
        }

        return new SsoClaimsMapping(user, roles, matched, Traits(claims), MfaClaimed(connector, claims, now, loginStarted));
    }

    /// <summary>
    /// True when the connector trusts the provider's MFA claims, the token carries one of them, and <c>auth_time</c>
    /// is no older than the login (the provider was asked for <c>max_age=0</c>, <c>prompt=login</c>).
    /// </summary>
    private static bool MfaClaimed(SsoConnectorConfig connector, JsonElement claims, DateTimeOffset now, DateTimeOffset loginStarted)
    {
        if (connector.Mfa is not { } trusted)
        {
            return false;
        }

        var authTime = IdTokenValidator.TimeClaim(claims, "auth_time");
        if (authTime is null || authTime < loginStarted - TimeSpan.FromMinutes(2) || authTime > now + TimeSpan.FromMinutes(2))
        {
            return false;
        }

        if (IdTokenValidator.StringClaim(claims, "acr") is { } acr && trusted.Acr.Contains(acr, StringComparer.Ordinal))
        {
            return true;
        }

        return claims.TryGetProperty("amr", out var amr) && amr.ValueKind == JsonValueKind.Array
            && amr.EnumerateArray().Any(a => a.ValueKind == JsonValueKind.String && trusted.Amr.Contains(a.GetString()!, StringComparer.Ordinal));
    }

    private static string? FirstMatch(JsonElement claims, ClaimRoleRule rule)
    {
        if (!claims.TryGetProperty(rule.Claim, out var value))
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            var text = value.GetString()!;
            return Glob.IsMatch(rule.Value, text) ? text : null;
        }

        if (value.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var item in value.EnumerateArray())
            {
                if (++i > 1024)
                {
                    break;
                }

                if (item.ValueKind == JsonValueKind.String && Glob.IsMatch(rule.Value, item.GetString()!))
                {
                    return item.GetString();
                }
            }
        }

        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            var text = value.ValueKind == JsonValueKind.True ? "true" : "false";
            return Glob.IsMatch(rule.Value, text) ? text : null;
        }

        return null;
    }

    /// <summary>String and string-array claims as <c>external.NAME</c> traits, in name order, within the bounds.</summary>
    private static Dictionary<string, IReadOnlyList<string>> Traits(JsonElement claims)
    {
        var candidates = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var property in claims.EnumerateObject())
        {
            var name = property.Name;
            if (ProtocolClaims.Contains(name) || !TraitTemplate.IsValidTraitName(name) || name.Length > 128)
            {
                continue;
            }

            var values = new List<string>();
            if (property.Value.ValueKind == JsonValueKind.String)
            {
                values.Add(property.Value.GetString()!);
            }
            else if (property.Value.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in property.Value.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.String && values.Count < MaxValuesPerTrait)
                    {
                        values.Add(item.GetString()!);
                    }
                }
            }
            else
            {
                continue;
            }

            values.RemoveAll(v => v.Length is 0 or > MaxValueLength);
            if (values.Count > 0)
            {
                candidates[name] = values;
            }
        }

        var traits = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var bytes = 0;
        foreach (var (name, values) in candidates)
        {
            var size = name.Length + values.Sum(v => v.Length + 4);
            if (traits.Count >= MaxTraits || bytes + size > MaxTraitBytes)
            {
                continue;
            }

            bytes += size;
            traits[TraitTemplate.ExternalKey(name)] = values;
        }

        return traits;
    }

    private static string Bounded(string value) => value.Length <= 128 ? value : string.Concat(value.AsSpan(0, 128), "…");
}
