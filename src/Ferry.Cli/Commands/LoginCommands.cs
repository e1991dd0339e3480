using System.CommandLine;
using System.Globalization;
using Ferry.Client;
using Ferry.Text;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry login</c>, <c>ferry status</c>, <c>ferry logout</c>.</summary>
internal static class LoginCommands
{
    public static Command Login()
    {
        var proxy = new Option<string>("--proxy") { Description = "Proxy address HOST[:PORT] (default port 3080; default: the saved profile's)" };
        var user = new Option<string>("--user") { Description = "Ferry user name (default: the saved profile's, else $USER)" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from the first line of stdin (and the TOTP code from the second, unless --otp)" };
        var otp = new Option<string>("--otp") { Description = "The current TOTP code (for scripts; prompted otherwise)" };
        var caPin = new Option<string>("--ca-pin") { Description = "Expected cluster CA fingerprint sha256:<hex> (for automation: refuses any other CA)" };
        var insecure = new Option<bool>("--insecure") { Description = "Do not verify the proxy's certificate (development only)" };
        var mysqlProxy = new Option<string>("--mysql-proxy") { Description = "The proxy's MySQL listener HOST:PORT (default: the proxy host, port 3036)" };
        var sso = new Option<string>("--sso") { Description = "Log in with single sign-on through connector NAME (NAME may be left out when the cluster has one)", Arity = ArgumentArity.ZeroOrOne, HelpName = "NAME" };
        var browser = new Option<string>("--browser") { Description = "With --sso: the browser command to open the provider's page with, or none to only print its address (default: $BROWSER, else xdg-open)" };
        var requestId = new Option<string[]>("--request-id") { Description = "Add approved access requests (ID, comma-separated or repeated) to your current login until they end", AllowMultipleArgumentsPerToken = true };
        var command = new Command("login", """
            Log in: prompts for password and TOTP code without echo, makes a key pair on this machine and stores the
            certificate under ~/.ferry (or $FERRY_HOME). On first contact the cluster CA fingerprint is shown and pinned.

            Example:
              ferry login --proxy ferry.example.com:3080 --user alice
              printf '%s\n' "$PASSWORD" | ferry login --proxy 10.0.0.5:3080 --user ci --password-stdin --otp 123456 --ca-pin sha256:3f1a…
              ferry login --proxy ferry.example.com:3080 --sso okta
              ferry login --proxy ferry.example.com:3080 --sso --browser=none
              ferry login --request-id 0193a1b2-…   (after `ferry request create` was approved)
            """)
        {
            proxy, user, passwordStdin, otp, caPin, insecure, mysqlProxy, sso, browser, requestId,
        };
        command.SetGuardedAction(async (parse, ct) =>
        {
            var paths = Cli.Paths;
            if (parse.GetResult(requestId) is not null)
            {
                if (parse.GetResult(proxy) is not null || parse.GetResult(user) is not null || parse.GetResult(sso) is not null || parse.GetValue(passwordStdin))
                {
                    return Cli.Fail("--request-id adds a request to your current login: run `ferry login --request-id ID` alone (log in first if needed)");
                }

                var ids = AccessRequestLogin.CheckIds(parse.GetValue(requestId) ?? []);
                using var current = ClientSession.Load(paths);
                using var elevated = await AccessRequestLogin.ElevateAsync(current, ids, ct).ConfigureAwait(false);
                return await ReportAsync(elevated, paths, ct).ConfigureAwait(false);
            }

            var saved = new ProfileStore(paths).LoadProfile();
            var proxyText = parse.GetValue(proxy) ?? saved?.Proxy;
            if (string.IsNullOrEmpty(proxyText))
            {
                return Cli.Fail("which cluster? pass --proxy HOST:PORT, e.g. ferry login --proxy ferry.example.com:3080 --user alice");
            }

            var address = ProxyAddress.Parse(proxyText);
            // --sso, or a plain `ferry login` again after a single sign-on login to the same proxy.
            var ssoAgain = parse.GetResult(user) is null && !parse.GetValue(passwordStdin) && saved is { Connector.Length: > 0 } && saved.Proxy == address.ToString();
            var isSso = parse.GetResult(sso) is not null || ssoAgain;
            var connectorName = parse.GetValue(sso) is { Length: > 0 } named ? named : ssoAgain ? saved!.Connector : null;
            if (isSso && LoginSsoCommand.Conflict(parse.GetResult(user) is not null, parse.GetValue(passwordStdin), parse.GetResult(otp) is not null) is { } conflict)
            {
                return Cli.Fail($"{conflict} is for a local user: with --sso the identity provider says who you are; drop {conflict}");
            }

            if (!isSso && parse.GetResult(browser) is not null)
            {
                return Cli.Fail("--browser goes with --sso: ferry login --sso NAME --browser=none");
            }

            var userName = parse.GetValue(user) ?? (saved?.Proxy == address.ToString() ? saved.User : null) ?? Environment.GetEnvironmentVariable("USER");
            if (!isSso && string.IsNullOrEmpty(userName))
            {
                return Cli.Fail("who are you? pass --user NAME (or --sso to log in with single sign-on)");
            }

            CaPin? pin = parse.GetValue(caPin) is { } p ? CaPin.Parse(p) : null;
            var isInsecure = parse.GetValue(insecure);
            var cluster = await LoginFlow.EstablishTrustAsync(paths, address, pin, isInsecure, ct).ConfigureAwait(false);
            if (cluster.FirstContact)
            {
                var pins = string.Join(", ", cluster.Pins);
                Console.Error.WriteLine($"Cluster \"{cluster.Ca.Cluster}\" at {address} presents host CA {pins}");
                if (isInsecure)
                {
                    Console.Error.WriteLine("WARNING: --insecure: the proxy's certificate is not verified; use this for development only.");
                }
                else if (pin is not null)
                {
                    Console.Error.WriteLine("It matches --ca-pin: pinned.");
                }
                else if (Prompt.IsInteractive)
                {
                    if (!Prompt.Confirm("Compare it with the fingerprint your administrator gave you. Trust and pin it?"))
                    {
                        return Cli.Fail("cluster CA not trusted: nothing was sent or saved");
                    }
                }
                else
                {
                    Console.Error.WriteLine("Pinned on first use (pass --ca-pin to check it in scripts).");
                }
            }

            if (isSso)
            {
                return await LoginSsoCommand.RunAsync(paths, cluster, connectorName, parse.GetValue(browser), parse.GetValue(mysqlProxy), ct).ConfigureAwait(false);
            }

            string password;
            string? code = parse.GetValue(otp);
            if (parse.GetValue(passwordStdin))
            {
                password = Console.In.ReadLine() ?? "";
                code ??= Console.In.ReadLine()?.Trim();
                if (string.IsNullOrEmpty(code))
                {
                    return Cli.Fail("no TOTP code: pass --otp CODE or give it on the second line of stdin");
                }
            }
            else if (Prompt.IsInteractive)
            {
                password = Prompt.ReadSecret($"Password for {userName}: ");
                code ??= Prompt.ReadSecret("TOTP code: ").Trim();
            }
            else
            {
                return Cli.Fail("no terminal to ask for the password: use --password-stdin (and --otp CODE)");
            }

            using var session = await LoginFlow.LoginAsync(paths, cluster, userName!, password, code ?? "", parse.GetValue(mysqlProxy), ct).ConfigureAwait(false);
            return await ReportAsync(session, paths, ct).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>What a login prints (local or single sign-on), after refreshing the database logins it may have ended.</summary>
    internal static async Task<int> ReportAsync(ClientSession session, FerryPaths paths, CancellationToken ct)
    {
        var dropped = await DatabaseAccess.RefreshAllAsync(session, ct).ConfigureAwait(false);
        var id = session.Identity;
        var via = id.Connector.Length > 0 ? $" via single sign-on ({id.Connector})" : "";
        Console.WriteLine($"Logged in to cluster \"{id.ClusterName}\" at {session.Profile.Proxy} as {id.User}{via} (roles: {string.Join(", ", id.Roles)}).");
        Console.WriteLine($"Valid until {Time(id.NotAfter)} ({DurationText.Format(id.NotAfter - DateTimeOffset.UtcNow)}). Profile: {paths.Root}");
        if (id.AccessRequestIds.Count > 0)
        {
            Console.WriteLine($"Access requests: {string.Join(", ", id.AccessRequestIds)} (until {Time(id.NotAfter)}; `ferry login` returns to your own roles).");
        }

        foreach (var name in dropped)
        {
            Console.WriteLine($"Database login {name} removed: it is no longer allowed.");
        }

        return 0;
    }

    public static Command Status()
    {
        var command = new Command("status", """
            Show the current login: proxy, user, roles, traits, expiry and the databases logged in to.

            Example:
              ferry status
            """);
        command.SetGuardedAction((_, _) =>
        {
            using var session = ClientSession.Load(Cli.Paths);
            var id = session.Identity;
            var p = session.Profile;
            Console.WriteLine($"Proxy:     {p.Proxy}{(p.Insecure ? " (INSECURE: certificate not verified)" : "")}");
            Console.WriteLine($"Cluster:   {id.ClusterName}  CA {string.Join(", ", p.CaPins)}");
            Console.WriteLine($"User:      {id.User}");
            Console.WriteLine($"Roles:     {string.Join(", ", id.Roles)}");
            if (id.Traits.Count > 0)
            {
                Console.WriteLine($"Traits:    {string.Join("; ", id.Traits.Select(t => t.Key + "=" + string.Join(",", t.Value)))}");
            }

            Console.WriteLine($"Valid:     until {Time(id.NotAfter)} ({DurationText.Format(id.NotAfter - DateTimeOffset.UtcNow)} left)");
            if (id.AccessRequestIds.Count > 0)
            {
                Console.WriteLine($"Requests:  {string.Join(", ", id.AccessRequestIds)} (access until {Time(id.NotAfter)})");
            }

            Console.WriteLine($"Profile:   {session.Paths.Root}");
            foreach (var name in session.Store.DatabaseLoginNames())
            {
                if (session.Store.LoadDatabaseLogin(name) is { } db)
                {
                    var how = db.Section.Length == 0 ? "" : "  " + DbCommands.NativeCommand(db);
                    Console.WriteLine($"Database:  {db.Name} ({db.Protocol}) as {db.DbUser}{(db.DbName.Length > 0 ? "@" + db.DbName : "")}{how}");
                }
            }

            return Task.FromResult(0);
        });
        return command;
    }

    public static Command Logout()
    {
        var command = new Command("logout", """
            Log out: delete the key, certificates and pinned CA, and remove every database login (service file sections too).

            Example:
              ferry logout
            """);
        command.SetGuardedAction((_, _) =>
        {
            var store = new ProfileStore(Cli.Paths);
            var profile = store.LoadProfile();
            var databases = store.DatabaseLoginNames();
            foreach (var name in databases)
            {
                DatabaseAccess.Logout(store, name);
            }

            store.DeleteLogin();
            Console.WriteLine(profile is null
                ? "Not logged in; nothing to remove."
                : $"Logged out of {profile.Proxy} ({profile.User}){(databases.Count > 0 ? "; removed database logins " + string.Join(", ", databases) : "")}.");
            return Task.FromResult(0);
        });
        return command;
    }

    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";
}
