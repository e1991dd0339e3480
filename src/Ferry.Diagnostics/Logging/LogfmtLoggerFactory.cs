using Microsoft.Extensions.Logging;

namespace Ferry.Diagnostics;

/// <summary>
/// A logger factory without providers or dependency injection: every logger writes logfmt lines to one
/// writer. Enough for the hosts, small enough for <c>ferry-agent</c>, and free of reflection.
/// </summary>
internal sealed class LogfmtLoggerFactory(LogLevel minimum, TextWriter output, TimeProvider time) : ILoggerFactory
{
    private readonly Lock _write = new();

    public ILogger CreateLogger(string categoryName) => new LogfmtLogger(this, categoryName);

    /// <summary>Providers are not supported: this factory is its own single sink.</summary>
    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    internal bool IsEnabled(LogLevel level) => level != LogLevel.None && level >= minimum;

    internal void Write(string line)
    {
        lock (_write)
        {
            output.Write(line);
            output.Flush();
        }
    }

    internal DateTimeOffset Now => time.GetUtcNow();
}
