using System.CommandLine;
using Ferry.Audit;
using Ferry.Client;
using Ferry.Client.Api;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry audit search|export|session</c> (a role with <c>audit_search</c> is required).</summary>
internal static class AuditCommands
{
    public static Command Build()
    {
        var audit = new Command("audit", """
            Search and export the audit log; show one session's statements.

            Example:
              ferry audit search --since 1h --user alice --db pg1 --type db.session.query --contains DELETE
            """);
        audit.Subcommands.Add(Search());
        audit.Subcommands.Add(Export());
        audit.Subcommands.Add(Session());
        return audit;
    }

    private sealed record Filters(Option<string> Since, Option<string> Until, Option<string> User, Option<string> Db, Option<string> Type, Option<string> Contains, Option<string> SessionId, Option<int> Limit)
    {
        public static Filters Create(int defaultLimit) => new(
            new Option<string>("--since") { Description = "From this time (2026-01-02T15:04:05Z) or this long ago (1h, 30m, 7d)" },
            new Option<string>("--until") { Description = "Up to this time or this long ago" },
            new Option<string>("--user") { Description = "Only events of this Ferry user" },
            new Option<string>("--db") { Description = "Only events of this database" },
            new Option<string>("--type") { Description = "Only this event type, e.g. db.session.query" },
            new Option<string>("--contains") { Description = "Only events whose query or details contain this text" },
            new Option<string>("--session-id") { Description = "Only events of this session" },
            new Option<int>("--limit") { Description = "At most this many events (1-100000)", DefaultValueFactory = _ => defaultLimit });

        public void AddTo(Command command)
        {
            command.Options.Add(Since);
            command.Options.Add(Until);
            command.Options.Add(User);
            command.Options.Add(Db);
            command.Options.Add(Type);
            command.Options.Add(Contains);
            command.Options.Add(SessionId);
            command.Options.Add(Limit);
        }

        public AuditSearch Read(ParseResult parse) => new()
        {
            Since = parse.GetValue(Since),
            Until = parse.GetValue(Until),
            User = parse.GetValue(User),
            Database = parse.GetValue(Db),
            Type = parse.GetValue(Type),
            Contains = parse.GetValue(Contains),
            SessionId = parse.GetValue(SessionId),
            Limit = parse.GetValue(Limit),
        };
    }

    private static async Task<List<AuditEvent>> QueryAsync(AuditSearch search, CancellationToken ct)
    {
        using var session = ClientSession.Load(Cli.Paths);
        using var api = session.Api();
        return await api.SearchAuditAsync(search, ct).ConfigureAwait(false);
    }

    private static Command Search()
    {
        var filters = Filters.Create(1000);
        var format = Cli.FormatOption();
        var command = new Command("search", """
            Search the audit log: a table, or JSON lines with --format json.

            Example:
              ferry audit search --since 1h --user alice --db pg1 --type db.session.query --contains "DELETE"
              ferry audit search --since 24h --format json | jq .query
            """);
        filters.AddTo(command);
        command.Options.Add(format);
        command.SetGuardedAction(async (parse, ct) =>
        {
            var events = await QueryAsync(filters.Read(parse), ct).ConfigureAwait(false);
            if (parse.GetValue(format) == "json")
            {
                await using var stdout = Console.OpenStandardOutput();
                AuditFormatters.WriteJsonLines(stdout, events);
            }
            else
            {
                AuditFormatters.WriteTable(Console.Out, events);
            }

            return 0;
        });
        return command;
    }

    private static Command Export()
    {
        var filters = Filters.Create(100_000);
        var command = new Command("export", """
            Export audit events as JSON lines (one event per line) to stdout.

            Example:
              ferry audit export --since 24h > events.jsonl
            """);
        filters.AddTo(command);
        command.SetGuardedAction(async (parse, ct) =>
        {
            var events = await QueryAsync(filters.Read(parse), ct).ConfigureAwait(false);
            await using var stdout = Console.OpenStandardOutput();
            AuditFormatters.WriteJsonLines(stdout, events);
            Console.Error.WriteLine($"exported {events.Count} events");
            return 0;
        });
        return command;
    }

    private static Command Session()
    {
        var id = new Argument<string>("SESSION_ID") { Description = "Session id (from `ferry audit search`, column SESSION, or the session_id field)" };
        var since = new Option<string>("--since") { Description = "Look back this far (default 30d)", DefaultValueFactory = _ => "720h" };
        var format = Cli.FormatOption();
        var command = new Command("session", """
            Show one database session: who, where, when, and its statements in order with offsets and timings.

            Example:
              ferry audit session 01JD3Z8Y6X4T2W0V9R7Q5P3N1M
            """)
        {
            id, since, format,
        };
        command.SetGuardedAction(async (parse, ct) =>
        {
            var sessionId = parse.GetValue(id)!;
            var events = await QueryAsync(new AuditSearch { SessionId = sessionId, Since = parse.GetValue(since), Limit = 100_000 }, ct).ConfigureAwait(false);
            if (events.Count == 0)
            {
                return Cli.Fail($"no audit events for session {sessionId} (since {parse.GetValue(since)}): check the id with `ferry audit search --since 1d`");
            }

            if (parse.GetValue(format) == "json")
            {
                await using var stdout = Console.OpenStandardOutput();
                AuditFormatters.WriteJsonLines(stdout, events.OrderBy(e => e.Time));
                return 0;
            }

            AuditFormatters.WriteSession(Console.Out, AuditSessionView.Build(sessionId, events));
            return 0;
        });
        return command;
    }
}
