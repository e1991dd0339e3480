using System.CommandLine;
using Ferry.Auth.Model;
using Ferry.Config;

namespace Ferry.Auth.Admin;

/// <summary><c>sso add -f|ls|show|rm</c>: single sign-on connectors stored in the backend (ferry.yaml's <c>auth.sso</c> ones are not listed here).</summary>
internal static class AdminSso
{
    public static Command Create(AdminOptions o)
    {
        var sso = new Command("sso", "Manage single sign-on (OIDC) connectors stored in the data directory");

        var file = new Option<string>("--file", "-f") { Description = "YAML file with one connector (the keys of an auth.sso entry of ferry.yaml)", Required = true };
        var replace = new Option<bool>("--replace") { Description = "Replace a stored connector of the same name" };
        var add = new Command("add", "Store a connector (checked like ferry.yaml: URLs, claims_to_roles, client secret file mode 0600)") { file, replace };
        add.SetAction((r, ct) => o.RunAsync(r, async (s, w) =>
        {
            var path = r.GetValue(file)!;
            var yaml = await File.ReadAllTextAsync(path, ct).ConfigureAwait(false);
            var connector = await s.AddSsoConnectorAsync(yaml, Path.GetFileName(path), r.GetValue(replace), AdminOptions.Actor, ct).ConfigureAwait(false);
            await w.WriteLineAsync($"SSO connector \"{connector.Name}\" stored: register {connector.RedirectUrl} as a redirect URI at the provider").ConfigureAwait(false);
        }, ct));
        sso.Add(add);

        var ls = new Command("ls", "List the stored connectors");
        ls.SetAction((r, ct) => o.RunAsync(r, async (s, w) =>
        {
            var rows = new List<(SsoConnectorRecord Record, SsoConnectorConfig? Config)>();
            foreach (var record in await s.ListStoredSsoConnectorsAsync(ct).ConfigureAwait(false))
            {
                SsoConnectorConfig? config = null;
                try
                {
                    config = SsoConnectorParser.ParseOne(record.Yaml, "stored:" + record.Name);
                }
                catch (ConfigException)
                {
                    // shown as invalid
                }

                rows.Add((record, config));
            }

            if (o.Json(r))
            {
                await w.WriteLineAsync(AdminOptions.ToJson(rows.Select(x => x.Record.Name).ToList(), AdminJsonContext.Default.ListString)).ConfigureAwait(false);
                return;
            }

            await w.WriteAsync(Ferry.Text.TextTable.RenderUnderlined(["NAME", "KIND", "ISSUER", "CLIENT ID", "RULES"], rows.Select(x => (IReadOnlyList<string>)(x.Config is { } c
                ? [c.Name, c.Kind, c.IssuerUrl, c.ClientId, c.ClaimsToRoles.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)]
                : [x.Record.Name, "(invalid)", "", "", ""])))).ConfigureAwait(false);
        }, ct));
        sso.Add(ls);

        var showName = new Argument<string>("name");
        var show = new Command("show", "Print a stored connector's YAML") { showName };
        show.SetAction((r, ct) => o.RunAsync(r, async (s, w) =>
        {
            var name = r.GetValue(showName)!;
            var record = await s.GetStoredSsoConnectorAsync(name, ct).ConfigureAwait(false)
                ?? throw AuthException.NotFound($"SSO connector \"{name}\" is not stored: see `sso ls`");
            await w.WriteAsync(record.Yaml.EndsWith('\n') ? record.Yaml : record.Yaml + "\n").ConfigureAwait(false);
        }, ct));
        sso.Add(show);

        sso.Add(o.RemoveCommand("Remove a stored connector (certificates it issued stop being re-issued)", new Argument<string>("name"),
            (s, name, ct) => s.RemoveSsoConnectorAsync(name, AdminOptions.Actor, ct), name => $"SSO connector \"{name}\" removed"));
        return sso;
    }
}
