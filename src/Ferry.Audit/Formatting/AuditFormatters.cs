using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Ferry.Audit;

/// <summary>Output formats for <c>ferry audit search/export/session</c>: a fixed-column table and JSON lines.</summary>
public static class AuditFormatters
{
    private const int QueryWidth = 60;

    /// <summary>
    /// Fixed columns: TIME (UTC, ms), TYPE, USER, DB, SESSION (first 8 chars), SOURCE (the agent or server that
    /// reported it, as the auth service stamped it), QUERY/SUMMARY
    /// (one line, cut to 60 chars). A header line first.
    /// </summary>
    public static void WriteTable(TextWriter output, IEnumerable<AuditEvent> events)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(events);
        output.WriteLine(Row("TIME", "TYPE", "USER", "DB", "SESSION", "SOURCE", "QUERY/SUMMARY"));
        foreach (AuditEvent e in events)
        {
            output.WriteLine(Row(
                e.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture),
                e.Type,
                e.User ?? "-",
                e.DbService ?? e.DbName ?? "-",
                // Session ids are UUIDv7: the leading digits are a timestamp shared by sessions of the same minute, so show the random tail.
                e.SessionId is { Length: > 8 } s ? s[^8..] : e.SessionId ?? "-",
                e.AgentId ?? e.ServerId ?? "-",
                Summary(e)));
        }
    }

    /// <summary>One compact JSON object per line (the <see cref="AuditJsonContext"/> form), UTF-8, '\n' separated.</summary>
    public static void WriteJsonLines(Stream output, IEnumerable<AuditEvent> events)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(events);
        using var writer = new Utf8JsonWriter(output);
        foreach (AuditEvent e in events)
        {
            JsonSerializer.Serialize(writer, e, AuditJsonContext.Default.AuditEvent);
            writer.Flush();
            writer.Reset();
            output.WriteByte((byte)'\n');
        }
    }

    /// <summary>Reads JSON lines written by <see cref="WriteJsonLines"/> (blank lines ignored).</summary>
    public static IEnumerable<AuditEvent> ReadJsonLines(TextReader input)
    {
        ArgumentNullException.ThrowIfNull(input);
        while (input.ReadLine() is { } line)
        {
            if (!string.IsNullOrWhiteSpace(line))
            {
                yield return JsonSerializer.Deserialize(line, AuditJsonContext.Default.AuditEvent)
                    ?? throw new JsonException("null audit event line");
            }
        }
    }

    /// <summary>A session: header (user, db, times, end reason) then one line per statement with offset and duration.</summary>
    public static void WriteSession(TextWriter output, AuditSessionView view)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(view);
        output.WriteLine($"session {view.SessionId}  user {view.User ?? "-"}  db {view.DbService ?? "-"} ({view.DbUser ?? "-"}@{view.DbName ?? "-"})  from {view.ClientAddr ?? "-"}");
        output.WriteLine($"start {Time(view.Start)}  end {Time(view.End)}  duration {(view.Duration is { } d ? d.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture) + "s" : "-")}  end reason {view.EndReason ?? "-"}{(view.Denied ? "  DENIED" : "")}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"#",4}  {"OFFSET",10}  {"DURATION",10}  {"ROWS",8}  {"TYPE",-28}  QUERY"));
        foreach (AuditSessionStatement s in view.Statements)
        {
            string duration = s.DurationUs is { } us ? (us / 1000.0).ToString("0.000", CultureInfo.InvariantCulture) + "ms" : "-";
            string text = OneLine(s.Query ?? s.StatementName ?? "", int.MaxValue) + (s.Success ? "" : $"  ERROR: {s.Error}");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{s.Sequence,4}  {s.Offset.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture) + "s",10}  {duration,10}  {(s.Rows?.ToString(CultureInfo.InvariantCulture) ?? "-"),8}  {s.Type,-28}  {text}"));
        }
    }

    /// <summary>The query, or a short summary of what happened for non-query events.</summary>
    public static string Summary(AuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        string text = e.Query ?? e.StatementName
            ?? (e.Type == AuditEventTypes.DbSessionEnd ? $"end: {e.EndReason ?? "-"}" : null)
            ?? (e.Type == AuditEventTypes.DbSessionStart ? $"{e.DbUser ?? "?"}@{e.DbName ?? "?"} via {e.DbProtocol ?? "?"} from {e.ClientAddr ?? "?"}" : null)
            ?? (e.Details is { Count: > 0 } d ? string.Join(' ', d.Select(kv => $"{kv.Key}={kv.Value}")) : e.Code);
        if (!e.Success)
        {
            text = $"DENIED/FAILED {e.Error ?? ""} {text}".Trim();
        }

        return OneLine(text, QueryWidth);
    }

    private static string Row(string time, string type, string user, string db, string session, string source, string text) =>
        string.Create(CultureInfo.InvariantCulture, $"{time,-23}  {Cut(type, 28),-28}  {Cut(user, 16),-16}  {Cut(db, 16),-16}  {session,-8}  {Cut(source, 16),-16}  {text}");

    private static string Cut(string s, int width) => s.Length <= width ? s : s[..(width - 1)] + "…";

    private static string OneLine(string s, int width)
    {
        var sb = new StringBuilder(Math.Min(s.Length, width));
        bool space = false;
        foreach (char c in s)
        {
            if (char.IsWhiteSpace(c))
            {
                space = sb.Length > 0;
                continue;
            }

            if (space)
            {
                sb.Append(' ');
                space = false;
            }

            sb.Append(c);
        }

        string line = sb.ToString();
        return line.Length <= width ? line : line[..(width - 1)] + "…";
    }

    private static string Time(DateTimeOffset? t) =>
        t is { } v ? v.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture) : "-";
}
