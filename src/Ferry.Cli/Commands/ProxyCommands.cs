using System.CommandLine;
using Ferry.Client;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry proxy db NAME --port N</c>: a local plain-text endpoint for GUI clients and drivers.</summary>
internal static class ProxyCommands
{
    public static Command Build()
    {
        var proxy = new Command("proxy", """
            Local listeners that carry plain connections to Ferry with your certificate.

            Example:
              ferry proxy db pg1 --port 15432
            """);
        proxy.Subcommands.Add(Db());
        return proxy;
    }

    private static Command Db()
    {
        var name = new Argument<string>("NAME") { Description = "Database name as shown by `ferry db ls`" };
        var port = new Option<int?>("--port") { Description = "Local port on 127.0.0.1 (default: a stable port derived from NAME, 20000-29999; 0 = any free port); with --socket, the port in the PostgreSQL socket name" };
        var socket = new Option<string>("--socket") { Description = "Listen on a Unix socket in this directory instead (created 0700; the socket is 0600): only you can connect, no password" };
        var noAuth = new Option<bool>("--no-auth") { Description = "Ask no password on 127.0.0.1: EVERY user of this machine can then use your database access" };
        var dbUser = new Option<string>("--db-user") { Description = "Database user (default: the only one your roles allow)" };
        var dbName = new Option<string>("--db-name") { Description = "Database (schema) name (default: the only one your roles allow)" };
        var otp = new Option<string>("--otp") { Description = "First one-time code for a database that requires MFA per session (also FERRY_OTP); later codes are asked on the terminal, or read one per line from stdin" };
        var mfa = SessionMfaCli.MfaOption();
        var browser = SessionMfaCli.BrowserOption();
        var command = new Command("db", """
            Listen locally for clients that cannot present certificates (GUI tools, drivers): each connection is
            carried to the proxy over TLS with a certificate routed to NAME, renewed in memory while the login lasts.
            On 127.0.0.1 every user of the machine could connect, so a client must give the password printed at
            start (a new one each run); with --socket DIR only you can connect and no password is asked.
            Prints the exact connection strings; runs until Ctrl+C.

            Example:
              ferry proxy db pg1 --port 15432
              PGPASSWORD=<printed> psql "host=127.0.0.1 port=15432 user=alice dbname=app sslmode=disable"
              ferry proxy db pg1 --socket ~/.ferry/run --port 15432
              psql "host=$HOME/.ferry/run port=15432 user=alice dbname=app"
            """)
        {
            name, port, socket, noAuth, dbUser, dbName, otp, mfa, browser,
        };
        command.SetGuardedAction(async (parse, ct) =>
        {
            var socketDir = parse.GetValue(socket);
            if (socketDir is not null && parse.GetValue(noAuth))
            {
                return Cli.Fail("--no-auth is for 127.0.0.1; a --socket asks no password already (only you can open it)");
            }

            using var session = ClientSession.Load(Cli.Paths);
            var db = parse.GetValue(name)!;
            var info = DatabaseAccess.Find(await session.ListDatabasesAsync(ct).ConfigureAwait(false), db);
            var user = DatabaseAccess.Choose(parse.GetValue(dbUser), info.DbUsers ?? [], "database user", "--db-user", db, required: true);
            var database = DatabaseAccess.Choose(parse.GetValue(dbName), info.DbNames ?? [], "database name", "--db-name", db, required: false);
            var mfaOptions = SessionMfaCli.Create(parse.GetValue(otp), parse.GetValue(mfa), parse.GetValue(browser), codesFromStdin: true, $"ferry proxy db {db}");
            var issuer = new SessionMfaIssuer(session, db, info.Protocol, user, database, mfaOptions, keepGrant: true);
            using var certificates = new RoutedCertificateSource(session, issuer);
            await certificates.GetAsync(ct).ConfigureAwait(false); // fail now, not at the first connection
            var requested = parse.GetValue(port) ?? StablePort.For(db);
            if (requested is < 0 or > 65535 || (socketDir is not null && requested == 0))
            {
                return Cli.Fail(socketDir is null ? "--port must be 0-65535" : "--port must be 1-65535 with --socket (it names the PostgreSQL socket)");
            }

            var endpoint = socketDir is not null ? LocalProxyEndpoint.UnixSocket(socketDir, info.Protocol, requested)
                : parse.GetValue(noAuth) ? LocalProxyEndpoint.TcpWithoutPassword(requested)
                : LocalProxyEndpoint.Tcp(requested);
            static void Log(string line) => Console.Error.WriteLine("ferry proxy: " + line);
            var isPostgres = info.Protocol == DatabaseProtocols.Postgres;
            await using LocalProxyServer server = isPostgres
                ? new PostgresLocalProxy(certificates, session.Trust, session.Address, endpoint, Log)
                : new MySqlLocalProxy(certificates, session.Trust, session.Address, endpoint, Log);
            server.Start();
            var where = endpoint.SocketPath ?? $"127.0.0.1:{server.Port}";
            Console.WriteLine($"Proxying {db} ({info.Protocol}, database user {user}) on {where}; certificate renewed in memory until the login ends at {LoginCommands.Time(session.Identity.NotAfter)}.");
            foreach (var line in LocalProxyConnectionStrings.Lines(info.Protocol, server.Endpoint with { Port = server.Port }, user, database))
            {
                Console.WriteLine(line);
            }

            if (issuer.MfaVerified)
            {
                var again = issuer.LastMethod == "sso" ? "you sign in at the identity provider again (the address is printed here)" : "a code is asked again";
                Console.WriteLine(issuer.GrantExpires is { } window
                    ? $"{db} requires MFA per session: new connections open without a new check until {LoginCommands.Time(window)}, then {again}."
                    : $"{db} requires MFA per session: each new certificate asks for a new check.");
            }

            if (endpoint.SocketPath is null && endpoint.Secret is null)
            {
                Console.Error.WriteLine("ferry proxy: warning: --no-auth: every user of this machine can connect as you to " + db);
            }

            Console.WriteLine("Press Ctrl+C to stop.");
            try
            {
                await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C: the normal way to stop the local proxy.
            }

            return 0;
        });
        return command;
    }
}
