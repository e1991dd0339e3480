using System.CommandLine;
using System.Text.Json;
using Ferry.Client;
using Ferry.Contracts;
using Ferry.Client.Api;
using Ferry.Text;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry db ls|login|env|config|logout|connect</c>.</summary>
internal static class DbCommands
{
    public static Command Build()
    {
        var db = new Command("db", """
            List databases and connect to them with native clients.

            Example:
              ferry db ls --labels env=dev
              ferry db login pg1 --db-user alice && psql "service=ferry-pg1"
            """);
        db.Subcommands.Add(List());
        db.Subcommands.Add(Login());
        db.Subcommands.Add(Env());
        db.Subcommands.Add(Config());
        db.Subcommands.Add(Logout());
        db.Subcommands.Add(Connect());
        return db;
    }

    private static Argument<string> NameArgument() => new("NAME") { Description = "Database name as shown by `ferry db ls`" };

    private static Option<string> DbUserOption() => new("--db-user") { Description = "Database user (default: the only one your roles allow)" };

    private static Option<string> OtpOption() => new("--otp") { Description = "One-time code for a database that requires MFA per session (scripts; also FERRY_OTP; asked on the terminal otherwise)" };

    private static Option<string> DbNameOption() => new("--db-name") { Description = "Database (schema) name (default: the only one your roles allow)" };

    private static Command List()
    {
        var labels = new Option<string>("--labels") { Description = "Only databases with these labels: key=value[,key=value]" };
        var format = Cli.FormatOption();
        var command = new Command("ls", """
            List the databases your roles allow, with protocol, labels and the database users allowed.

            Example:
              ferry db ls
              ferry db ls --labels env=dev --format json
            """)
        {
            labels, format,
        };
        command.SetGuardedAction(async (parse, ct) =>
        {
            using var session = ClientSession.Load(Cli.Paths);
            var filter = LabelFilter.Parse(parse.GetValue(labels));
            var databases = (await session.ListDatabasesAsync(ct).ConfigureAwait(false)).Where(filter.Matches).OrderBy(d => d.Name, StringComparer.Ordinal).ToList();
            if (parse.GetValue(format) == "json")
            {
                Console.WriteLine(JsonSerializer.Serialize(databases, ClientJsonContext.Default.ListDatabaseEntry));
                return 0;
            }

            var table = new TextTable("NAME", "PROTOCOL", "LABELS", "DB USERS", "DB NAMES", "STATUS", "DESCRIPTION");
            foreach (var d in databases)
            {
                table.Add(d.Name, d.Protocol, string.Join(",", d.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value)),
                    string.Join(",", d.DbUsers ?? []), string.Join(",", d.DbNames ?? []), d.Healthy ? "online" : "offline: " + (d.HealthError ?? "no agent"), d.Description);
            }

            table.Write(Console.Out);
            if (databases.Count == 0)
            {
                Console.Error.WriteLine(filter.IsEmpty ? "No database is allowed by your roles." : "No allowed database has these labels.");
            }

            return 0;
        });
        return command;
    }

    private static Command Login()
    {
        var name = NameArgument();
        var dbUser = DbUserOption();
        var dbName = DbNameOption();
        var otp = OtpOption();
        var mfa = SessionMfaCli.MfaOption();
        var browser = SessionMfaCli.BrowserOption();
        var command = new Command("login", """
            Get a certificate routed to one database and configure the native clients: a [ferry-NAME] service in
            ~/.pg_service.conf ($PGSERVICEFILE) or a [client_ferry-NAME] group in ~/.my.cnf ($FERRY_MYCNF).

            Example:
              ferry db login pg1 --db-user alice --db-name app
              psql "service=ferry-pg1"
              mysql --defaults-group-suffix=_ferry-my1
            """)
        {
            name, dbUser, dbName, otp, mfa, browser,
        };
        command.SetGuardedAction(async (parse, ct) =>
        {
            using var session = ClientSession.Load(Cli.Paths);
            var db = parse.GetValue(name)!;
            var mfaOptions = SessionMfaCli.Create(parse.GetValue(otp), parse.GetValue(mfa), parse.GetValue(browser), codesFromStdin: false, $"ferry db login {db}");
            var login = await DatabaseAccess.LoginAsync(session, db, parse.GetValue(dbUser), parse.GetValue(dbName), configureClients: true, ct, mfaOptions).ConfigureAwait(false);
            Console.WriteLine($"Logged in to {db} ({login.Protocol}) as database user {login.DbUser}{(login.DbName.Length > 0 ? ", database " + login.DbName : "")}; certificate valid until {LoginCommands.Time(login.Expires)}.");
            if (login.SessionExpires is { } sessionEnds)
            {
                Console.WriteLine($"{db} requires MFA per session: connect before {LoginCommands.Time(login.Expires)}; sessions opened run until {LoginCommands.Time(sessionEnds)}. Later connections: `ferry db connect {db}` or `ferry proxy db {db}`.");
            }

            Console.WriteLine($"Wrote [{login.Section}] to {login.SectionFile}. Connect with:");
            Console.WriteLine("  " + NativeCommand(login));
            return 0;
        });
        return command;
    }

    /// <summary>The native client command that reads what <c>db login</c> wrote.</summary>
    internal static string NativeCommand(DatabaseLogin login)
    {
        if (login.IsPostgres)
        {
            return $"psql \"service={login.Section}\"";
        }

        // mysql reads ~/.my.cnf by itself; another file (FERRY_MYCNF) must be named, and first.
        var home = Environment.GetEnvironmentVariable("HOME") ?? "";
        return login.SectionFile == Path.Combine(home, ".my.cnf")
            ? $"mysql --defaults-group-suffix=_ferry-{login.Name}"
            : $"mysql --defaults-extra-file={DatabaseConnectionSettings.ShellQuote(login.SectionFile)} --defaults-group-suffix=_ferry-{login.Name}";
    }

    private static Command Env()
    {
        var name = NameArgument();
        var command = new Command("env", """
            Print the environment variables that point the native client at a database you logged in to.

            PostgreSQL: the libpq variables (PGHOST, PGSSLCERT, ...). MySQL/MariaDB: MYSQL_HOME, whose my.cnf holds
            the user, TLS files and database, so mysql, mysqldump, mysqladmin, ... all connect through Ferry.

            Example:
              eval "$(ferry db env pg1)" && psql
              eval "$(ferry db env my1)" && mysql
            """)
        {
            name,
        };
        command.SetGuardedAction((parse, _) =>
        {
            using var session = ClientSession.Load(Cli.Paths);
            var login = DatabaseAccess.Require(session, parse.GetValue(name)!);
            if (login.OptionFile.Length > 0 && !File.Exists(login.OptionFile))
            {
                DatabaseAccess.WriteOptionFile(login);
            }

            foreach (var (key, value) in DatabaseConnectionSettings.Environment(login))
            {
                Console.WriteLine($"export {key}={DatabaseConnectionSettings.ShellQuote(value)}");
            }

            return Task.FromResult(0);
        });
        return command;
    }

    private static Command Config()
    {
        var name = NameArgument();
        var format = Cli.FormatOption();
        var command = new Command("config", """
            Print the connection settings of a database you logged in to: host, port, user, certificate files,
            a connection string, a URI and a JDBC URL.

            Example:
              ferry db config pg1
              ferry db config pg1 --format json
            """)
        {
            name, format,
        };
        command.SetGuardedAction((parse, _) =>
        {
            using var session = ClientSession.Load(Cli.Paths);
            var settings = DatabaseConnectionSettings.From(DatabaseAccess.Require(session, parse.GetValue(name)!));
            if (parse.GetValue(format) == "json")
            {
                Console.WriteLine(JsonSerializer.Serialize(settings, ClientJsonContext.Default.DatabaseConnectionSettings));
                return Task.FromResult(0);
            }

            Console.WriteLine($"Name:        {settings.Name} ({settings.Protocol})");
            Console.WriteLine($"Host:        {settings.Host}");
            Console.WriteLine($"Port:        {settings.Port}");
            Console.WriteLine($"User:        {settings.User}");
            Console.WriteLine($"Database:    {settings.Database}");
            Console.WriteLine($"SSL mode:    {settings.SslMode}");
            Console.WriteLine($"CA:          {settings.CaFile}");
            Console.WriteLine($"Certificate: {settings.CertificateFile}");
            Console.WriteLine($"Key:         {settings.KeyFile}");
            Console.WriteLine($"Key (PKCS#8 DER, pgjdbc):  {settings.KeyPk8File}");
            Console.WriteLine($"Key store (PKCS#12, Java): {settings.KeyStoreFile} (password {settings.KeyStorePassword})");
            Console.WriteLine($"Expires:     {LoginCommands.Time(settings.Expires)}");
            Console.WriteLine($"Connection:  {settings.ConnectionString}");
            Console.WriteLine($"URI:         {settings.Uri}");
            Console.WriteLine($"JDBC:        {settings.JdbcUrl}");
            Console.WriteLine(settings.Protocol == DatabaseProtocols.Postgres ? "             (pgjdbc)" : "             (MariaDB Connector/J)");
            return Task.FromResult(0);
        });
        return command;
    }

    private static Command Logout()
    {
        var name = new Argument<string>("NAME") { Description = "Database to log out of (default: all)", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("logout", """
            Remove what `ferry db login` wrote: the routed certificate and the service file / my.cnf section.

            Example:
              ferry db logout pg1
              ferry db logout
            """)
        {
            name,
        };
        command.SetGuardedAction((parse, _) =>
        {
            var store = new ProfileStore(Cli.Paths);
            var one = parse.GetValue(name);
            var names = one is null ? store.DatabaseLoginNames() : [one];
            var removed = names.Where(n => DatabaseAccess.Logout(store, n)).ToList();
            if (one is not null && removed.Count == 0)
            {
                return Task.FromResult(Cli.Fail($"not logged in to database \"{one}\"; nothing to remove"));
            }

            Console.WriteLine(removed.Count == 0 ? "No database logins to remove." : "Logged out of " + string.Join(", ", removed) + ".");
            return Task.FromResult(0);
        });
        return command;
    }

    private static Command Connect()
    {
        var name = NameArgument();
        var dbUser = DbUserOption();
        var dbName = DbNameOption();
        var otp = OtpOption();
        var mfa = SessionMfaCli.MfaOption();
        var browser = SessionMfaCli.BrowserOption();
        var extra = new Argument<string[]>("CLIENT-ARGS") { Description = "Extra arguments for psql/mysql, after --", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("connect", """
            Run psql or mysql/mariadb against a database with everything set (logs in to the database first if needed).

            Example:
              ferry db connect pg1
              ferry db connect pg1 --db-user readonly -- -c "SELECT now()"
              ferry db connect pg1 --mfa=sso --browser=none   # MFA at the identity provider
            """)
        {
            name, dbUser, dbName, otp, mfa, browser, extra,
        };
        command.SetGuardedAction(async (parse, ct) =>
        {
            using var session = ClientSession.Load(Cli.Paths);
            var db = parse.GetValue(name)!;
            var user = parse.GetValue(dbUser);
            var database = parse.GetValue(dbName);
            var mfaOptions = SessionMfaCli.Create(parse.GetValue(otp), parse.GetValue(mfa), parse.GetValue(browser), codesFromStdin: false, $"ferry db connect {db}");
            var login = session.Store.LoadDatabaseLogin(db);
            if (login is not null && login.Expires > DateTimeOffset.UtcNow.AddSeconds(30)
                && (user is null || user == login.DbUser) && (database is null || database == login.DbName))
            {
                return await NativeClient.RunAsync(login, parse.GetValue(extra) ?? [], ct).ConfigureAwait(false);
            }

            // A new route (or a renewal): run the client with the new certificate from a temporary file, and save the
            // login (certificate, service file / my.cnf section) only once the client connected and ended well, so a
            // refused --db-name never replaces a working `psql service=ferry-NAME`.
            var issued = await DatabaseAccess.LoginRequestAsync(session, db, user, database, ct, mfaOptions).ConfigureAwait(false);
            var exit = await DatabaseAccess.WithTemporaryCertificateAsync(session.Store, issued,
                pending => NativeClient.RunAsync(pending, parse.GetValue(extra) ?? [], ct)).ConfigureAwait(false);
            if (exit == 0)
            {
                DatabaseAccess.Save(session.Store, issued, configureClients: false);
            }

            return exit;
        });
        return command;
    }
}
