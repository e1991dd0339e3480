using System.CommandLine;
using Ferry.Contracts;

namespace Ferry.Auth.Admin;

/// <summary><c>users add|ls|rm|reset</c>.</summary>
internal static class AdminUsers
{
    public static Command Create(AdminOptions o, TextReader input)
    {
        var users = new Command("users", "Manage local users");

        var name = new Argument<string>("name") { Description = "User name" };
        var roles = new Option<string[]>("--roles") { Description = "Roles, comma-separated or repeated", AllowMultipleArgumentsPerToken = true };
        var traits = new Option<string[]>("--traits") { Description = "Traits as name=v1,v2 (repeat for several traits), e.g. db_users=alice,readonly" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from standard input instead of generating one" };
        var add = new Command("add", "Create a user; prints the password (unless --password-stdin) and the TOTP enrolment URI once") { name, roles, traits, passwordStdin };
        add.SetAction((r, ct) => o.RunAsync(r, async (s, w) =>
        {
            var password = r.GetValue(passwordStdin) ? await ReadPasswordAsync(input).ConfigureAwait(false) : null;
            var created = await s.AddUserAsync(r.GetValue(name)!, SplitList(r.GetValue(roles)), ParseTraits(r.GetValue(traits)), password, AdminOptions.Actor, ct).ConfigureAwait(false);
            await WriteCredentialsAsync(o, r, w, created, password is null).ConfigureAwait(false);
        }, ct));
        users.Add(add);

        users.Add(o.ListCommand("List users", (s, ct) => s.ListUsersAsync(ct), AuthApiJsonContext.Default.ListUserInfo, ["USER", "ROLES", "TRAITS"],
            u => [u.Name, string.Join(",", u.Roles), string.Join(" ", u.Traits.Select(t => t.Key + "=" + string.Join(",", t.Value)))]));

        users.Add(o.RemoveCommand("Delete a user", new Argument<string>("name") { Description = "User name" }, (s, name, ct) => s.RemoveUserAsync(name, AdminOptions.Actor, ct), name => $"user \"{name}\" deleted"));

        var resetName = new Argument<string>("name") { Description = "User name" };
        var resetStdin = new Option<bool>("--password-stdin") { Description = "Read the new password from standard input" };
        var reset = new Command("reset", "Replace a user's password and TOTP secret") { resetName, resetStdin };
        reset.SetAction((r, ct) => o.RunAsync(r, async (s, w) =>
        {
            var password = r.GetValue(resetStdin) ? await ReadPasswordAsync(input).ConfigureAwait(false) : null;
            var creds = await s.ResetUserAsync(r.GetValue(resetName)!, password, AdminOptions.Actor, ct).ConfigureAwait(false);
            await WriteCredentialsAsync(o, r, w, creds, password is null).ConfigureAwait(false);
        }, ct));
        users.Add(reset);
        return users;
    }

    internal static List<string> SplitList(string[]? values) =>
        [.. (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];

    private static Dictionary<string, List<string>> ParseTraits(string[]? values)
    {
        var traits = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var v in values ?? [])
        {
            var eq = v.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw AuthException.BadRequest($"trait \"{v}\" must look like name=value1,value2");
            }

            traits[v[..eq]] = [.. v[(eq + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        }

        return traits;
    }

    private static async Task<string> ReadPasswordAsync(TextReader input) =>
        (await input.ReadLineAsync().ConfigureAwait(false))?.TrimEnd('\r', '\n') ?? throw AuthException.BadRequest("no password on standard input");

    private static async Task WriteCredentialsAsync(AdminOptions o, System.CommandLine.ParseResult r, TextWriter w, UserCredentials c, bool showPassword)
    {
        if (o.Json(r))
        {
            var pw = showPassword ? $"\"password\":{System.Text.Json.JsonSerializer.Serialize(c.Password, AdminJsonContext.Default.String)}," : "";
            await w.WriteLineAsync($"{{\"user\":{System.Text.Json.JsonSerializer.Serialize(c.User, AdminJsonContext.Default.String)},{pw}\"totp_secret\":\"{c.TotpSecret}\",\"otpauth_uri\":{System.Text.Json.JsonSerializer.Serialize(c.OtpAuthUri, AdminJsonContext.Default.String)}}}").ConfigureAwait(false);
            return;
        }

        await w.WriteLineAsync($"user \"{c.User}\" ready. Give these to the user once; they are not shown again:").ConfigureAwait(false);
        if (showPassword)
        {
            await w.WriteLineAsync("  password:    " + c.Password).ConfigureAwait(false);
        }

        await w.WriteLineAsync("  TOTP secret: " + c.TotpSecret).ConfigureAwait(false);
        await w.WriteLineAsync("  TOTP URI:    " + c.OtpAuthUri).ConfigureAwait(false);
    }
}
