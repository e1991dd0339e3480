using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Ferry.Diagnostics;

/// <summary>
/// Writes each event as one logfmt line:
/// <c>time=2026-12-03T05:02:01.123Z level=info logger=Ferry.Proxy event=ConnectionRefused id=1002 msg="…" Reason=locked</c>.
/// The structured values of a <c>[LoggerMessage]</c> method follow the message as their own fields.
/// </summary>
internal sealed class LogfmtLogger(LogfmtLoggerFactory factory, string category) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => factory.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }
        var line = new StringBuilder(256);
        line.Append("time=").Append(factory.Now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        line.Append(" level=").Append(Level(logLevel));
        line.Append(" logger=");
        Value(line, category);
        if (eventId.Name is { Length: > 0 } name)
        {
            line.Append(" event=");
            Value(line, name);
        }
        if (eventId.Id != 0)
        {
            line.Append(" id=").Append(eventId.Id.ToString(CultureInfo.InvariantCulture));
        }
        line.Append(" msg=");
        Value(line, formatter(state, exception));
        if (state is IReadOnlyList<KeyValuePair<string, object?>> fields)
        {
            foreach (var (key, value) in fields)
            {
                if (key == "{OriginalFormat}")
                {
                    continue;
                }
                line.Append(' ').Append(key).Append('=');
                Value(line, Convert.ToString(value, CultureInfo.InvariantCulture) ?? "");
            }
        }
        if (exception is not null)
        {
            line.Append(" error=");
            Value(line, $"{exception.GetType().Name}: {exception.Message}");
        }
        line.Append('\n');
        factory.Write(line.ToString());
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warning",
        LogLevel.Error => "error",
        _ => "critical",
    };

    /// <summary>A bare value when it needs no quoting, else a double-quoted one with <c>\"</c>, <c>\\</c> and <c>\n</c> escaped.</summary>
    internal static void Value(StringBuilder line, string value)
    {
        var bare = value.Length > 0;
        foreach (var c in value)
        {
            if (c is ' ' or '=' or '"' or '\\' || char.IsControl(c))
            {
                bare = false;
                break;
            }
        }
        if (bare)
        {
            line.Append(value);
            return;
        }
        line.Append('"');
        foreach (var c in value)
        {
            _ = c switch
            {
                '"' => line.Append("\\\""),
                '\\' => line.Append("\\\\"),
                '\n' => line.Append("\\n"),
                '\r' => line.Append("\\r"),
                '\t' => line.Append("\\t"),
                _ => line.Append(c),
            };
        }
        line.Append('"');
    }
}
