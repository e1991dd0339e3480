using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Ferry.Audit.Tests;

/// <summary>A logger that keeps what it is told (event name and message), for tests that assert a failure was logged.</summary>
internal sealed class CapturingLogger : ILogger
{
    public ConcurrentQueue<(LogLevel Level, string Event, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, eventId.Name ?? "", formatter(state, exception)));
}
