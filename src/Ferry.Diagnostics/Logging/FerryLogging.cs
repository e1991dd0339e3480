using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ferry.Diagnostics;

/// <summary>
/// The process's logger factory. Libraries take an <see cref="ILoggerFactory"/> where they are built
/// (<c>ProxyContext.LoggerFactory</c>, <c>AgentContext.LoggerFactory</c>) and default to this one, which
/// logs nothing until a host calls <see cref="UseConsole"/> at start-up.
/// </summary>
public static class FerryLogging
{
    public static ILoggerFactory Factory { get; private set; } = NullLoggerFactory.Instance;

    /// <summary>One logfmt line per event at or above <paramref name="minimum"/> on <paramref name="output"/> (standard error by default).</summary>
    public static ILoggerFactory UseConsole(LogLevel minimum, TextWriter? output = null)
    {
        Factory = new LogfmtLoggerFactory(minimum, output ?? Console.Error, TimeProvider.System);
        return Factory;
    }

    /// <summary>Maps the <c>log_level</c> words of ferry.yaml (debug, info, warning, error).</summary>
    public static LogLevel ParseLevel(string? word) => word?.ToLowerInvariant() switch
    {
        "debug" => LogLevel.Debug,
        "warning" or "warn" => LogLevel.Warning,
        "error" => LogLevel.Error,
        _ => LogLevel.Information,
    };
}
