using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Ferry.Client;
using Ferry.Client.Api;
using Ferry.Client.Bench;
using Ferry.Text;
using Ferry.Wire.Postgres;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry bench db NAME | direct CONNSTRING | --direct CONNSTRING</c>: a load test through Ferry or straight at a database.</summary>
internal static class BenchCommands
{
    private sealed record Shared(Option<int> Clients, Option<string> Duration, Option<double?> Rate, Option<string> Query, Option<bool> ConnectEach,
        Option<string> Warmup, Option<string> Protocol, Option<string> Format)
    {
        public IEnumerable<Option> All => [Clients, Duration, Rate, Query, ConnectEach, Warmup, Protocol, Format];
    }

    private static Shared SharedOptions()
    {
        var protocol = new Option<string>("--protocol") { Description = "PostgreSQL: simple (Query), extended (Parse/Bind/Execute/Sync each time) or prepared (Parse once); MySQL: simple only", DefaultValueFactory = _ => "simple" };
        protocol.AcceptOnlyFromAmong("simple", "extended", "prepared");
        return new Shared(
            new Option<int>("--clients", "-c") { Description = $"Concurrent sessions (1-{BenchOptions.MaxClients})", DefaultValueFactory = _ => 8 },
            new Option<string>("--duration", "-T") { Description = "How long to measure, e.g. 30s, 5m (at most 24h)", DefaultValueFactory = _ => "30s" },
            new Option<double?>("--rate", "-R") { Description = "Open loop: this many transactions per second on a fixed schedule across the clients; latency counts from the intended send time" },
            new Option<string>("--query") { Description = $"The statement each transaction runs (at most {BenchOptions.MaxQueryLength} characters)", DefaultValueFactory = _ => "SELECT 1" },
            new Option<bool>("--connect-each", "-C") { Description = "Each transaction connects, runs the query and closes (connect time reported separately)" },
            new Option<string>("--warmup") { Description = "Run this long before measuring, e.g. 2s", DefaultValueFactory = _ => "0s" },
            protocol,
            Cli.FormatOption());
    }

    public static Command Build()
    {
        var shared = SharedOptions();
        var direct = new Option<string>("--direct") { Description = "Same as `ferry bench direct CONNSTRING`" };
        var bench = new Command("bench", """
            Load-test a database: real sessions through Ferry (your login, a certificate routed to the database) or
            straight at the database for comparison. Reports TPS, latency percentiles, connect time and errors.

            Example:
              ferry bench db pg1 --clients 8 --duration 30s
              ferry bench db pg1 --rate 500 --duration 1m --format json
              ferry bench direct "host=db.internal user=app dbname=app sslmode=require" --clients 8 --duration 30s
            """)
        {
            direct,
        };
        foreach (var option in shared.All)
        {
            bench.Options.Add(option);
        }

        bench.SetGuardedAction(async (parse, ct) => parse.GetValue(direct) is { } connection
            ? await RunDirectAsync(parse, shared, connection, ct).ConfigureAwait(false)
            : Cli.Fail("name what to load-test: `ferry bench db NAME` (through Ferry) or `ferry bench direct CONNSTRING` (see ferry bench --help)"));
        bench.Subcommands.Add(Db());
        bench.Subcommands.Add(Direct());
        return bench;
    }

    private static Command Db()
    {
        var shared = SharedOptions();
        var name = new Argument<string>("NAME") { Description = "Database name as shown by `ferry db ls`" };
        var dbUser = new Option<string>("--db-user") { Description = "Database user (default: the only one your roles allow)" };
        var dbName = new Option<string>("--db-name") { Description = "Database (schema) name (default: the only one your roles allow)" };
        var otp = new Option<string>("--otp") { Description = "One-time code for a database that requires MFA per session (also FERRY_OTP)" };
        var mfa = SessionMfaCli.MfaOption();
        var browser = SessionMfaCli.BrowserOption();
        var command = new Command("db", """
            Load-test a database through Ferry: each client is a real session over TLS to the proxy with a certificate
            routed to NAME, exactly as `ferry proxy db` opens them (every statement is audited like any other).

            Example:
              ferry bench db pg1 --clients 8 --duration 30s
              ferry bench db my1 --query "SELECT id FROM t WHERE id = 1" --warmup 2s --format json
              ferry bench db pg1 --connect-each --rate 50 --duration 1m
            """)
        {
            name, dbUser, dbName, otp, mfa, browser,
        };
        foreach (var option in shared.All)
        {
            command.Options.Add(option);
        }

        command.SetGuardedAction(async (parse, ct) =>
        {
            var options = Options(parse, shared, out var mode, out var problem);
            if (options is null)
            {
                return Cli.Fail(problem!);
            }

            using var session = ClientSession.Load(Cli.Paths);
            var db = parse.GetValue(name)!;
            var info = DatabaseAccess.Find(await session.ListDatabasesAsync(ct).ConfigureAwait(false), db);
            if (info.Protocol != DatabaseProtocols.Postgres && mode != PostgresQueryMode.Simple)
            {
                return Cli.Fail($"--protocol {Mode(mode)} is for PostgreSQL; {db} is {info.Protocol} (COM_QUERY only)");
            }

            var user = DatabaseAccess.Choose(parse.GetValue(dbUser), info.DbUsers ?? [], "database user", "--db-user", db, required: true);
            var database = DatabaseAccess.Choose(parse.GetValue(dbName), info.DbNames ?? [], "database name", "--db-name", db, required: false);
            var mfaOptions = SessionMfaCli.Create(parse.GetValue(otp), parse.GetValue(mfa), parse.GetValue(browser), codesFromStdin: false, $"ferry bench db {db}");
            var issuer = new SessionMfaIssuer(session, db, info.Protocol, user, database, mfaOptions, keepGrant: true);
            using var certificates = new RoutedCertificateSource(session, issuer);
            await certificates.GetAsync(ct).ConfigureAwait(false); // fail now, not in every client
            var target = new FerryBenchTarget(session, certificates, db, info.Protocol, user, database, mode);
            return await RunAsync(target, options, mode, parse.GetValue(shared.Format) == "json", ct).ConfigureAwait(false);
        });
        return command;
    }

    private static Command Direct()
    {
        var shared = SharedOptions();
        var connection = new Argument<string>("CONNSTRING")
        {
            Description = "PostgreSQL: \"host=... port=... user=... dbname=... sslmode=...\" or postgresql://user@host:port/db; MySQL/MariaDB: mysql://user@host:port/db?ssl-mode=...",
        };
        var command = new Command("direct", """
            Load-test a database directly, without Ferry, to compare with `ferry bench db`. Passwords may come from
            PGPASSWORD or MYSQL_PWD. Logins: PostgreSQL trust, client certificate (sslcert/sslkey), cleartext, md5,
            SCRAM-SHA-256; MySQL/MariaDB client certificate (ssl-cert/ssl-key), mysql_native_password,
            caching_sha2_password (full authentication only over TLS). Others are refused with the reason.

            Example:
              ferry bench direct "host=127.0.0.1 port=5432 user=app dbname=app" --clients 8 --duration 30s
              ferry bench direct "host=/var/run/postgresql user=postgres" --query "SELECT 1"
              MYSQL_PWD=... ferry bench direct "mysql://app@127.0.0.1:3306/app?ssl-mode=REQUIRED" --duration 10s
            """)
        {
            connection,
        };
        foreach (var option in shared.All)
        {
            command.Options.Add(option);
        }

        command.SetGuardedAction((parse, ct) => RunDirectAsync(parse, shared, parse.GetValue(connection)!, ct));
        return command;
    }

    private static async Task<int> RunDirectAsync(ParseResult parse, Shared shared, string connectionString, CancellationToken ct)
    {
        var options = Options(parse, shared, out var mode, out var problem);
        if (options is null)
        {
            return Cli.Fail(problem!);
        }

        var connection = DirectConnection.Parse(connectionString);
        if (connection.Protocol != DatabaseProtocols.Postgres && mode != PostgresQueryMode.Simple)
        {
            return Cli.Fail($"--protocol {Mode(mode)} is for PostgreSQL; this is a MySQL connection string (COM_QUERY only)");
        }

        using var target = new DirectBenchTarget(connection, mode);
        return await RunAsync(target, options, mode, parse.GetValue(shared.Format) == "json", ct).ConfigureAwait(false);
    }

    /// <summary>The options, or null with <paramref name="problem"/> naming the one at fault.</summary>
    private static BenchOptions? Options(ParseResult parse, Shared shared, out PostgresQueryMode mode, out string? problem)
    {
        mode = parse.GetValue(shared.Protocol) switch
        {
            "extended" => PostgresQueryMode.Extended,
            "prepared" => PostgresQueryMode.Prepared,
            _ => PostgresQueryMode.Simple,
        };
        if (!DurationText.TryParse(parse.GetValue(shared.Duration), out var duration))
        {
            problem = $"--duration \"{parse.GetValue(shared.Duration)}\" is not a duration (e.g. 30s, 5m, 1h)";
            return null;
        }

        var warmupText = parse.GetValue(shared.Warmup);
        var warmup = TimeSpan.Zero;
        if (warmupText is not ("0" or "0s") && !DurationText.TryParse(warmupText, out warmup))
        {
            problem = $"--warmup \"{warmupText}\" is not a duration (e.g. 2s)";
            return null;
        }

        var options = new BenchOptions
        {
            Clients = parse.GetValue(shared.Clients),
            Duration = duration,
            Warmup = warmup,
            Rate = parse.GetValue(shared.Rate),
            Query = parse.GetValue(shared.Query) ?? "",
            ConnectEach = parse.GetValue(shared.ConnectEach),
        };
        problem = options.Validate();
        return problem is null ? options : null;
    }

    private static string Mode(PostgresQueryMode mode) => mode.ToString().ToLowerInvariant();

    private static async Task<int> RunAsync(IBenchTarget target, BenchOptions options, PostgresQueryMode mode, bool json, CancellationToken ct)
    {
        var runner = new BenchRunner(target, options);
        using var progressStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var live = !json && !Console.IsErrorRedirected;
        if (!json)
        {
            Console.Error.WriteLine($"ferry bench: {target.Description}, {options.Clients} clients, {DurationText.Format(options.Duration)}"
                + (options.Rate is { } r ? $" at {r.ToString("0.##", CultureInfo.InvariantCulture)} tx/s" : "")
                + (options.Warmup > TimeSpan.Zero ? $" after {DurationText.Format(options.Warmup)} warm-up" : "") + ". Ctrl+C stops and reports.");
        }

        var progress = live ? ProgressAsync(runner, options, progressStop.Token) : Task.CompletedTask;
        var report = await runner.RunAsync(ct).ConfigureAwait(false);
        await progressStop.CancelAsync().ConfigureAwait(false);
        await progress.ConfigureAwait(false);
        report.QueryProtocol = target.Protocol == DatabaseProtocols.Postgres ? Mode(mode) : "text";
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(report, ClientJsonContext.Default.BenchReport));
        }
        else
        {
            BenchText.Write(Console.Out, report);
        }

        return report.Interrupted ? 130 : 0;
    }

    /// <summary>Once a second on stderr (a terminal only): elapsed, transactions, TPS of the last second, errors.</summary>
    private static async Task ProgressAsync(BenchRunner runner, BenchOptions options, CancellationToken ct)
    {
        long last = 0;
        var total = options.Warmup + options.Duration;
        try
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                var (transactions, errors, elapsed) = runner.Progress();
                var phase = elapsed < options.Warmup ? " warm-up" : "";
                Console.Error.Write(string.Create(CultureInfo.InvariantCulture,
                    $"\r{(int)elapsed.TotalSeconds,5}s/{(int)total.TotalSeconds}s{phase}  {transactions,10} tx  {transactions - last,8} tps  {errors} errors   "));
                last = transactions;
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            Console.Error.Write("\r" + new string(' ', 72) + "\r");
        }
    }
}
