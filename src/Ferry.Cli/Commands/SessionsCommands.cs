using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Ferry.Audit;
using Ferry.Client;
using Ferry.Client.Api;
using Ferry.Contracts;
using Ferry.Text;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry sessions ls|watch|end</c>: live database sessions.</summary>
internal static class SessionsCommands
{
    public static Command Build()
    {
        var sessions = new Command("sessions", """
            Live database sessions: list them, follow one's statements, end one (admins).

            Example:
              ferry sessions ls
              ferry sessions watch 01JD3Z8Y6X4T2W0V9R7Q5P3N1M
              ferry sessions end 01JD3Z8Y6X4T2W0V9R7Q5P3N1M --reason "bulk export during incident"
            """);
        sessions.Subcommands.Add(List());
        sessions.Subcommands.Add(Watch());
        sessions.Subcommands.Add(End());
        return sessions;
    }

    private static Command List()
    {
        var format = Cli.FormatOption();
        var command = new Command("ls", """
            List the live sessions you may see: your own, or every one with a role that has audit_search.
            Agents report their sessions every few seconds; an agent that stops reporting drops out after 30s.

            Example:
              ferry sessions ls
              ferry sessions ls --format json
            """)
        {
            format,
        };
        command.SetGuardedAction(async (parse, ct) =>
        {
            using var session = ClientSession.Load(Cli.Paths);
            using var api = session.Api();
            var list = await api.ListLiveSessionsAsync(ct).ConfigureAwait(false);
            if (parse.GetValue(format) == "json")
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(list, AuthApiJsonContext.Default.LiveSessionsResponse));
                return 0;
            }

            if (list.Sessions.Count == 0)
            {
                Console.Out.WriteLine("no live sessions");
                return 0;
            }

            var now = DateTimeOffset.UtcNow;
            var table = new TextTable("ID", "USER", "DATABASE", "PROTOCOL", "DB USER", "DB NAME", "SINCE", "STATEMENTS", "ROWS", "BYTES");
            foreach (var s in list.Sessions)
            {
                table.Add(s.Id, s.User, s.Database, s.Protocol ?? "-", s.DbUser ?? "-", s.DbName ?? "-",
                    s.Since.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) + " (" + DurationText.Format(now - s.Since) + ")",
                    N(s.Statements), N(s.Rows), N(s.Bytes));
            }

            table.Write(Console.Out);
            return 0;
        });
        return command;
    }

    private static Command Watch()
    {
        var id = new Argument<string>("SESSION_ID") { Description = "A live session id (from `ferry sessions ls`)" };
        var interval = new Option<string>("--interval") { Description = "How often to poll the audit log (200ms-10s)", DefaultValueFactory = _ => "1s" };
        var wait = new Option<string>("--wait") { Description = "How long to wait for the session's first events to reach the audit log", DefaultValueFactory = _ => "30s" };
        var command = new Command("watch", """
            Print a live session's statements as they happen, with what came back, until it ends (Ctrl-C stops
            watching, not the session). Reads the audit log, so a role with audit_search is required; statements
            show up once the agent has shipped them (about a second, plus --interval).

            Example:
              ferry sessions watch 01JD3Z8Y6X4T2W0V9R7Q5P3N1M
            """)
        {
            id, interval, wait,
        };
        command.SetGuardedAction(async (parse, ct) =>
        {
            if (!DurationText.TryParse(parse.GetValue(interval), out var every) || every < TimeSpan.FromMilliseconds(200) || every > TimeSpan.FromSeconds(10))
            {
                return Cli.Fail("--interval must be a duration from 200ms to 10s");
            }

            if (!DurationText.TryParse(parse.GetValue(wait), out var patience) || patience < TimeSpan.Zero || patience > TimeSpan.FromHours(1))
            {
                return Cli.Fail("--wait must be a duration up to 1h");
            }

            var sessionId = parse.GetValue(id)!;
            using var session = ClientSession.Load(Cli.Paths);
            using var api = session.Api();
            var printed = 0;
            var header = false;
            var deadline = DateTimeOffset.UtcNow + patience;
            while (true)
            {
                SessionPlaybackView? view = null;
                try
                {
                    view = await api.GetSessionPlaybackAsync(sessionId, null, ct).ConfigureAwait(false);
                }
                catch (FerryClientException e) when (!header && e.Message.StartsWith("no audit events", StringComparison.Ordinal) && DateTimeOffset.UtcNow < deadline)
                {
                    // Not shipped yet: keep polling until --wait runs out.
                }

                if (view is not null)
                {
                    if (!header)
                    {
                        PlaybackText.WriteHeader(Console.Out, view.Session);
                        header = true;
                    }

                    var ended = view.Session.End is not null || view.Session.Denied;
                    // A statement is printed once its result is in, a later statement exists, or the session ended.
                    while (printed < view.Statements.Count && (view.Statements[printed].Finished || printed < view.Statements.Count - 1 || ended))
                    {
                        PlaybackText.WriteStatement(Console.Out, view.Statements[printed]);
                        printed++;
                    }

                    await Console.Out.FlushAsync(ct).ConfigureAwait(false);
                    if (ended)
                    {
                        PlaybackText.WriteEnd(Console.Out, view.Session);
                        return 0;
                    }
                }

                await Task.Delay(every, ct).ConfigureAwait(false);
            }
        });
        return command;
    }

    private static Command End()
    {
        var id = new Argument<string>("SESSION_ID") { Description = "A live session id (from `ferry sessions ls`)" };
        var reason = new Option<string>("--reason") { Description = "Why (required; the user sees it and it is audited)", Required = true };
        var command = new Command("end", """
            End a live session now (the admin role). Its agent closes it with end reason `lock` and your reason,
            within a second or two; the ending is audited (session.terminate).

            Example:
              ferry sessions end 01JD3Z8Y6X4T2W0V9R7Q5P3N1M --reason "bulk export during incident"
            """)
        {
            id, reason,
        };
        command.SetGuardedAction(async (parse, ct) =>
        {
            using var session = ClientSession.Load(Cli.Paths);
            using var api = session.Api();
            var ended = await api.EndSessionAsync(parse.GetValue(id)!, new SessionEndRequest { Reason = parse.GetValue(reason) ?? "" }, ct).ConfigureAwait(false);
            Console.Out.WriteLine($"ending session {ended.SessionId} of {ended.User ?? "-"} on {ended.Database ?? "-"} (agent {ended.AgentId ?? "-"}, lock {ended.LockId})");
            return 0;
        });
        return command;
    }

    private static string N(long n) => n.ToString(CultureInfo.InvariantCulture);
}
