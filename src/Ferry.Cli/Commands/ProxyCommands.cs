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
        var port = new Option<int?>("--port") { Description = "Local port on 127.0.0.1 (default: a stable port derived from NAME, 20000-29999; 0 = any free port)" };
        var dbUser = new Option<string>("--db-user") { Description = "Database user (default: the only one your roles allow)" };
        var dbName = new Option<string>("--db-name") { Description = "Database (schema) name (default: the only one your roles allow)" };
        var command = new Command("db", """
            Listen on 127.0.0.1 for clients that cannot present certificates (GUI tools, drivers): each connection is
            carried to the proxy over TLS with a certificate routed to NAME, renewed in memory while the login lasts.
            Prints the exact connection string; runs until Ctrl+C.

            Example:
              ferry proxy db pg1 --port 15432
              psql "host=127.0.0.1 port=15432 user=alice dbname=app sslmode=disable"
            """)
        {
            name, port, dbUser, dbName,
        };
        command.SetGuardedAction(async (parse, ct) =>
        {
            using var session = ClientSession.Load(Cli.Paths);
            var db = parse.GetValue(name)!;
            var info = DatabaseAccess.Find(await session.ListDatabasesAsync(ct).ConfigureAwait(false), db);
            var user = DatabaseAccess.Choose(parse.GetValue(dbUser), info.DbUsers ?? [], "database user", "--db-user", db, required: true);
            var database = DatabaseAccess.Choose(parse.GetValue(dbName), info.DbNames ?? [], "database name", "--db-name", db, required: false);
            using var certificates = new RoutedCertificateSource(session, db, info.Protocol, user, database);
            await certificates.GetAsync(ct).ConfigureAwait(false); // fail now, not at the first connection
            var requested = parse.GetValue(port) ?? StablePort.For(db);
            if (requested is < 0 or > 65535)
            {
                return Cli.Fail("--port must be 0-65535");
            }

            static void Log(string line) => Console.Error.WriteLine("ferry proxy: " + line);
            var isPostgres = info.Protocol == DatabaseProtocols.Postgres;
            await using LocalProxyServer server = isPostgres
                ? new PostgresLocalProxy(certificates, session.Trust, session.Address, requested, Log)
                : new MySqlLocalProxy(certificates, session.Trust, session.Address, requested, Log);
            server.Start();
            var p = server.Port;
            Console.WriteLine($"Proxying {db} ({info.Protocol}, database user {user}) on 127.0.0.1:{p}; certificate renewed in memory until the login ends at {LoginCommands.Time(session.Identity.NotAfter)}.");
            if (isPostgres)
            {
                var dbPart = database.Length > 0 ? database : user;
                Console.WriteLine($"Connection string: host=127.0.0.1 port={p} user={user} dbname={dbPart} sslmode=disable");
                Console.WriteLine($"URI:               postgresql://{user}@127.0.0.1:{p}/{dbPart}?sslmode=disable");
                Console.WriteLine($"psql:              psql \"host=127.0.0.1 port={p} user={user} dbname={dbPart} sslmode=disable\"");
            }
            else
            {
                Console.WriteLine($"Connection string: Server=127.0.0.1;Port={p};User ID={user};{(database.Length > 0 ? "Database=" + database + ";" : "")}SslMode=None");
                Console.WriteLine($"mysql:             mysql --host=127.0.0.1 --port={p} --user={user} --skip-ssl{(database.Length > 0 ? " " + database : "")}");
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
