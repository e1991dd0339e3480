using System.Globalization;
using Ferry.Audit;

namespace Ferry.Cli.Commands;

/// <summary>The terminal form of a <see cref="SessionPlaybackView"/>: header, one block per statement, end line.</summary>
internal static class PlaybackText
{
    private const int MaxParameterWidth = 200;

    public static void WriteHeader(TextWriter output, PlaybackSession s)
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"session {s.SessionId}  user {s.User ?? "-"}  db {s.Database ?? "-"} ({s.Protocol ?? "?"}, {s.DbUser ?? "-"}@{s.DbName ?? "-"})  from {s.ClientAddr ?? "-"}  agent {s.AgentId ?? "-"}"));
        if (s.Denied)
        {
            output.WriteLine($"DENIED at {Time(s.Start)}: {s.EndError ?? "-"}");
            return;
        }

        output.WriteLine($"started {Time(s.Start)}");
    }

    public static void WriteStatement(TextWriter output, PlaybackStatement s)
    {
        var what = s.Query ?? (s.StatementName is { Length: > 0 } n ? "statement " + n : null) ?? Kind(s);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[+{s.OffsetMs / 1000.0:0.000}s] #{s.Sequence} {OneLine(what)}{(s.Truncated == true ? " …(truncated)" : "")}"));
        if (s.Query is not null && s.Kind is not (AuditEventTypes.DbSessionQuery))
        {
            output.WriteLine($"           ({Kind(s)})");
        }

        if (s.Parameters is { Count: > 0 } p)
        {
            output.WriteLine("           params: " + string.Join(", ", p.Select((v, i) => $"${i + 1}=" + (v is null ? "NULL" : "'" + Cut(OneLine(v)) + "'"))));
        }

        var result = new List<string>();
        if (s.Rows is { } rows)
        {
            result.Add(string.Create(CultureInfo.InvariantCulture, $"{rows} row{(rows == 1 ? "" : "s")}"));
        }

        if (s.Bytes is { } bytes)
        {
            result.Add(Size(bytes));
        }

        if (s.DurationUs is { } us)
        {
            result.Add(string.Create(CultureInfo.InvariantCulture, $"{us / 1000.0:0.###} ms"));
        }

        if (s.Tag is { Length: > 0 } tag)
        {
            result.Add("(" + tag + ")");
        }

        if (!s.Success)
        {
            result.Add("ERROR " + OneLine(s.Error ?? s.Code ?? "") + (s.Limit is { } limit ? $" [limit {limit}]" : ""));
        }

        if (result.Count > 0)
        {
            output.WriteLine("           → " + string.Join(", ", result));
        }
        else if (!s.Finished)
        {
            output.WriteLine("           → (no result recorded)");
        }
    }

    public static void WriteEnd(TextWriter output, PlaybackSession s)
    {
        if (s.Denied)
        {
            return;
        }

        if (s.End is null)
        {
            output.WriteLine("(no end recorded: the session is live, or its agent stopped before recording the end)");
            return;
        }

        var length = s.DurationUs is { } us ? string.Create(CultureInfo.InvariantCulture, $" after {us / 1_000_000.0:0.000}s") : "";
        output.WriteLine($"ended {Time(s.End)}{length}: {s.EndReason ?? "-"}{(s.EndError is { Length: > 0 } e ? " (" + OneLine(e) + ")" : "")}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"totals: {s.Rows} rows, {Size(s.Bytes)} in results, {s.Errors} error{(s.Errors == 1 ? "" : "s")}; session bytes in {s.BytesIn ?? 0}, out {s.BytesOut ?? 0}"));
    }

    private static string Kind(PlaybackStatement s) => s.Kind switch
    {
        AuditEventTypes.DbSessionExecute => "extended protocol Execute",
        AuditEventTypes.MySqlStatementExecute => "COM_STMT_EXECUTE",
        AuditEventTypes.DbSessionFunctionCall => "FunctionCall",
        _ => s.Kind,
    };

    private static string Time(DateTimeOffset? t) => t?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture) ?? "-";

    private static string Size(long bytes) => bytes switch
    {
        < 10_000 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 10_000_000 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.0} MiB"),
    };

    private static string Cut(string s) => s.Length <= MaxParameterWidth ? s : s[..(MaxParameterWidth - 1)] + "…";

    private static string OneLine(string s) => string.Join(' ', s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
