using System.CommandLine;
using System.Text.Json;
using Ferry.Audit;
using Ferry.Client;
using Ferry.Client.Api;
using Ferry.Text;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry play SESSION_ID</c>: replays a recorded PostgreSQL or MySQL session (a role with <c>audit_search</c>).</summary>
internal static class PlayCommand
{
    public static Command Build()
    {
        var id = new Argument<string>("SESSION_ID") { Description = "Session id (from `ferry audit search`, `ferry sessions ls`, or an event's session_id)" };
        var speed = new Option<double>("--speed") { Description = "Playback speed: 1 = real time, 2 = twice as fast, 0 = print everything at once", DefaultValueFactory = _ => 1 };
        var maxIdle = new Option<string>("--max-idle") { Description = "Longest pause between two statements while playing (idle time beyond it is skipped)", DefaultValueFactory = _ => "2s" };
        var since = new Option<string>("--since") { Description = "Look back only this far for the session's events (e.g. 7d); default: all" };
        var format = Cli.FormatOption();
        var command = new Command("play", """
            Replay a recorded database session (PostgreSQL or MySQL): who and where, then each statement with its
            offset, parameters and what came back (rows, bytes, duration, error), then how the session ended.
            Plays in real time by default, with pauses capped by --max-idle; --speed 0 prints at once.
            --format json prints the whole playback as one JSON document (never waits).

            Example:
              ferry play 01JD3Z8Y6X4T2W0V9R7Q5P3N1M
              ferry play 01JD3Z8Y6X4T2W0V9R7Q5P3N1M --speed 4
              ferry play 01JD3Z8Y6X4T2W0V9R7Q5P3N1M --format json | jq '.statements[] | select(.success == false)'
            """)
        {
            id, speed, maxIdle, since, format,
        };
        command.SetGuardedAction(async (parse, ct) =>
        {
            var rate = parse.GetValue(speed);
            if (rate < 0 || double.IsNaN(rate) || rate > 1000)
            {
                return Cli.Fail("--speed must be between 0 and 1000 (0: no waiting)");
            }

            if (!DurationText.TryParse(parse.GetValue(maxIdle) ?? "2s", out var idle) || idle < TimeSpan.Zero)
            {
                return Cli.Fail($"--max-idle \"{parse.GetValue(maxIdle)}\" is not a duration (2s, 500ms, 1m)");
            }

            SessionPlaybackView view;
            using (var session = ClientSession.Load(Cli.Paths))
            using (var api = session.Api())
            {
                view = await api.GetSessionPlaybackAsync(parse.GetValue(id)!, parse.GetValue(since), ct).ConfigureAwait(false);
            }

            if (parse.GetValue(format) == "json")
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(view, AuditJsonContext.Default.SessionPlaybackView));
                return 0;
            }

            await PlayAsync(Console.Out, view, rate, idle, ct).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    /// <summary>Writes the playback, pausing between statements by their offsets divided by <paramref name="speed"/> (0: no pause).</summary>
    public static async Task PlayAsync(TextWriter output, SessionPlaybackView view, double speed, TimeSpan maxIdle, CancellationToken ct)
    {
        PlaybackText.WriteHeader(output, view.Session);
        var previous = 0.0;
        foreach (var s in view.Statements)
        {
            if (speed > 0)
            {
                var wait = TimeSpan.FromMilliseconds(Math.Max(0, s.OffsetMs - previous) / speed);
                if (wait > maxIdle)
                {
                    wait = maxIdle;
                }

                if (wait > TimeSpan.Zero)
                {
                    await output.FlushAsync(ct).ConfigureAwait(false);
                    await Task.Delay(wait, ct).ConfigureAwait(false);
                }
            }

            previous = s.OffsetMs;
            PlaybackText.WriteStatement(output, s);
        }

        PlaybackText.WriteEnd(output, view.Session);
    }
}
