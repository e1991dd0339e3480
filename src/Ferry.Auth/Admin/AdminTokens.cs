using System.CommandLine;
using System.Globalization;
using Ferry.Contracts;
using Ferry.Rbac;

namespace Ferry.Auth.Admin;

/// <summary><c>tokens add|ls|rm</c>.</summary>
internal static class AdminTokens
{
    public static Command Create(AdminOptions o)
    {
        var tokens = new Command("tokens", "Manage join tokens for proxies and agents");

        var role = new Option<string>("--role") { Description = "proxy or agent", Required = true };
        var ttl = new Option<string>("--ttl") { Description = "Lifetime, e.g. 30m, 1h, 7d", DefaultValueFactory = _ => "1h" };
        var multi = new Option<bool>("--multi-use") { Description = "Allow several hosts to join with it until it expires" };
        var add = new Command("add", "Create a join token; prints it once") { role, ttl, multi };
        add.SetAction((r, ct) => o.RunAsync(r, async (s, w) =>
        {
            var lifetime = ParseTtl(r.GetValue(ttl)!);
            var token = await s.AddTokenAsync(r.GetValue(role)!, lifetime, r.GetValue(multi), AdminOptions.Actor, ct).ConfigureAwait(false);
            await w.WriteLineAsync(o.Json(r)
                ? AdminOptions.ToJson(token, AuthApiJsonContext.Default.JoinTokenInfo)
                : $"token: {token.Token}\nrole {token.Role}, {(token.MultiUse ? "multi-use" : "single use")}, expires {Time(token.ExpiresAt)} (id {token.Id})").ConfigureAwait(false);
        }, ct));
        tokens.Add(add);

        tokens.Add(o.ListCommand("List join tokens (secrets are not stored, only ids)", (s, ct) => s.ListTokensAsync(ct), AuthApiJsonContext.Default.ListJoinTokenInfo, ["ID", "ROLE", "USE", "USES", "EXPIRES"],
            t => [t.Id, t.Role, t.MultiUse ? "multi" : "single", t.Uses.ToString(CultureInfo.InvariantCulture), Time(t.ExpiresAt)]));

        tokens.Add(o.RemoveCommand("Delete a join token", new Argument<string>("id") { Description = "Token id (from `tokens ls`) or the token itself" },
            (s, id, ct) => s.RemoveTokenAsync(id, AdminOptions.Actor, ct), _ => "token deleted"));
        return tokens;
    }

    internal static TimeSpan ParseTtl(string text) =>
        Duration.TryParse(text, out var value) ? value : throw AuthException.BadRequest($"\"{text}\" is not a duration: use e.g. 30m, 1h, 7d");

    internal static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
