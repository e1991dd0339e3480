using System.Net;
using System.Text.RegularExpressions;

namespace Ferry.Config;

/// <summary>
/// Reads and checks SSO connectors: the <c>auth.sso</c> list of <c>ferry.yaml</c> and the file given to
/// <c>ferryd admin sso add -f</c>. Every error names the key, its line and the fix.
/// </summary>
public static partial class SsoConnectorParser
{
    /// <summary>Longest connector name.</summary>
    public const int MaxNameLength = 63;

    /// <summary>Most <c>claims_to_roles</c> rules per connector.</summary>
    public const int MaxRules = 256;

    /// <summary>Longest URL, claim name, glob or client id.</summary>
    public const int MaxValueLength = 2048;

    /// <summary>The path every redirect URL must end with: the auth API's callback.</summary>
    public const string CallbackPath = "/v1/sso/callback";

    /// <summary>Parses a YAML file holding one connector (the keys of one <c>auth.sso</c> entry).</summary>
    public static SsoConnectorConfig ParseOne(string text, string fileName)
    {
        var root = YamlNodeReader.FromText(text, fileName);
        return Parse(root);
    }

    /// <summary>Parses the <c>auth.sso</c> list: names must be unique.</summary>
    public static IReadOnlyList<SsoConnectorConfig> ParseList(YamlNodeReader auth)
    {
        ArgumentNullException.ThrowIfNull(auth);
        var list = new List<SsoConnectorConfig>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in auth.SectionList("sso"))
        {
            var connector = Parse(item);
            if (!names.Add(connector.Name))
            {
                throw item.ErrorAt("name", $"connector '{connector.Name}' is listed twice");
            }

            list.Add(connector);
        }

        return list;
    }

    /// <summary>Reads one connector mapping and checks every value.</summary>
    public static SsoConnectorConfig Parse(YamlNodeReader r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var name = r.String("name") ?? throw r.ErrorAt("name", "is required (the name users pass to `ferry login --sso NAME`)");
        if (!NameRegex().IsMatch(name))
        {
            throw r.ErrorAt("name", $"'{name}' must be 1-{MaxNameLength} characters of a-z, 0-9, '-' and '_', starting with a letter or digit");
        }

        var kind = r.String("kind", "oidc")!;
        if (kind != "oidc")
        {
            throw r.ErrorAt("kind", $"'{kind}' is not supported: the only kind is oidc (OpenID Connect)");
        }

        var issuer = Required(r, "issuer_url", "the provider's issuer, e.g. https://accounts.google.com");
        if (CheckUrl(issuer, "issuer_url", allowQuery: false) is { } issuerProblem)
        {
            throw r.ErrorAt("issuer_url", issuerProblem);
        }

        var redirect = Required(r, "redirect_url", $"https://PROXY_PUBLIC_ADDR{CallbackPath}, registered at the provider");
        if (CheckUrl(redirect, "redirect_url", allowQuery: false) is { } redirectProblem)
        {
            throw r.ErrorAt("redirect_url", redirectProblem);
        }

        if (!new Uri(redirect).AbsolutePath.Equals(CallbackPath, StringComparison.Ordinal))
        {
            throw r.ErrorAt("redirect_url", $"must end with {CallbackPath} (the auth API's callback, reached through the proxy's public address), got '{redirect}'");
        }

        var clientId = Required(r, "client_id", "the client (application) id the provider gave this cluster");
        var scopes = r.Has("scopes") ? r.StringList("scopes") : SsoConnectorConfig.DefaultScopes;
        if (!scopes.Contains("openid"))
        {
            throw r.ErrorAt("scopes", "must include openid (without it the provider sends no ID token)");
        }

        if (scopes.Any(s => s.Length == 0 || s.Length > 256 || s.Any(c => c <= ' ' || c == '"' || c == '\\' || c > '~')))
        {
            throw r.ErrorAt("scopes", "each scope must be 1-256 printable ASCII characters without spaces");
        }

        var usernameClaim = r.String("username_claim", "email")!;
        if (!IsClaimName(usernameClaim))
        {
            throw r.ErrorAt("username_claim", $"'{usernameClaim}' is not a claim name: letters, digits, '_', '-', '.', ':' or '/'");
        }

        var rules = new List<ClaimRoleRule>();
        foreach (var rule in r.SectionList("claims_to_roles"))
        {
            rules.Add(ParseRule(rule));
        }

        if (rules.Count == 0)
        {
            throw r.ErrorAt("claims_to_roles", "needs at least one rule (claim, value, roles): without one, no user of this connector gets a role and every login is refused");
        }

        if (rules.Count > MaxRules)
        {
            throw r.ErrorAt("claims_to_roles", $"has {rules.Count} rules; at most {MaxRules}");
        }

        var mfa = r.Section("mfa");
        SsoMfaClaims? trusted = null;
        if (mfa is not null)
        {
            trusted = new SsoMfaClaims { Amr = mfa.StringList("amr"), Acr = mfa.StringList("acr") };
            mfa.RejectUnknownKeys();
            if (trusted.Amr.Count == 0 && trusted.Acr.Count == 0)
            {
                throw r.ErrorAt("mfa", "lists no amr or acr value: name the values the provider sends after MFA (e.g. amr: [mfa, otp, hwk]) or remove the section");
            }

            if (trusted.Amr.Concat(trusted.Acr).Any(v => v.Length is 0 or > 256))
            {
                throw r.ErrorAt("mfa", "amr and acr values must be 1-256 characters");
            }
        }

        var secretFile = r.String("client_secret_file");
        var caFile = r.String("ca_file");
        var connector = new SsoConnectorConfig
        {
            Name = name,
            Kind = kind,
            DisplayName = r.String("display_name", "")!,
            IssuerUrl = issuer,
            ClientId = clientId,
            ClientSecretFile = secretFile is { Length: > 0 } ? secretFile : null,
            Scopes = scopes,
            RedirectUrl = redirect,
            UsernameClaim = usernameClaim,
            ClaimsToRoles = rules,
            Mfa = trusted,
            CaFile = caFile is { Length: > 0 } ? caFile : null,
        };
        if (connector.DisplayName.Length > 128)
        {
            throw r.ErrorAt("display_name", "is longer than 128 characters");
        }

        r.RejectUnknownKeys();
        return connector;
    }

    /// <summary>
    /// Checks an issuer or redirect URL: absolute, https (http only to a loopback host, for tests and local
    /// providers), no user info or fragment. Null when valid, else the message.
    /// </summary>
    public static string? CheckUrl(string value, string key, bool allowQuery)
    {
        if (value.Length > MaxValueLength || !Uri.TryCreate(value, UriKind.Absolute, out var uri))
        {
            return $"'{value}' is not an absolute URL";
        }

        if (uri.Scheme != Uri.UriSchemeHttps && !(uri.Scheme == Uri.UriSchemeHttp && IsLoopbackHost(uri.Host)))
        {
            return $"must use https (http is accepted only for a loopback host such as 127.0.0.1), got '{value}'";
        }

        if (uri.UserInfo.Length > 0 || uri.Fragment.Length > 0 || (!allowQuery && uri.Query.Length > 0))
        {
            return $"{key} must not carry user info, a query or a fragment, got '{value}'";
        }

        return null;
    }

    /// <summary>True for localhost, 127.0.0.0/8 and ::1.</summary>
    public static bool IsLoopbackHost(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    /// <summary>A claim name: 1-256 of letters, digits, '_', '-', '.', ':' and '/' (URL-style claim names included).</summary>
    public static bool IsClaimName(string name) =>
        name.Length is > 0 and <= 256 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ':' or '/');

    private static ClaimRoleRule ParseRule(YamlNodeReader r)
    {
        var claim = Required(r, "claim", "the claim to look at, e.g. groups");
        if (!IsClaimName(claim))
        {
            throw r.ErrorAt("claim", $"'{claim}' is not a claim name: letters, digits, '_', '-', '.', ':' or '/'");
        }

        var value = Required(r, "value", "a glob the claim value must match, e.g. db-admins or *@example.com");
        var roles = r.StringList("roles");
        if (roles.Count == 0)
        {
            throw r.ErrorAt("roles", "is required: the roles a user matching this rule gets");
        }

        if (roles.Any(n => n.Length is 0 or > 128))
        {
            throw r.ErrorAt("roles", "role names must be 1-128 characters");
        }

        r.RejectUnknownKeys();
        return new ClaimRoleRule { Claim = claim, Value = value, Roles = roles };
    }

    private static string Required(YamlNodeReader r, string key, string what)
    {
        var value = r.String(key);
        if (string.IsNullOrEmpty(value))
        {
            throw r.ErrorAt(key, $"is required: {what}");
        }

        if (value.Length > MaxValueLength)
        {
            throw r.ErrorAt(key, $"is longer than {MaxValueLength} characters");
        }

        return value;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,62}$")]
    private static partial Regex NameRegex();
}
