using Microsoft.Extensions.Logging;

namespace Ferry.Diagnostics.Tests.Logging;

public sealed partial class LogfmtLoggerTests
{
    [LoggerMessage(EventId = 42, EventName = "ThingRefused", Level = LogLevel.Information, Message = "refused {Client}: {Reason}")]
    private static partial void ThingRefused(ILogger logger, string client, string reason);

    [LoggerMessage(EventId = 43, EventName = "ThingDebug", Level = LogLevel.Debug, Message = "details")]
    private static partial void ThingDebug(ILogger logger);

    [Fact]
    public void Event_IsOneLogfmtLine_WithEventNameIdMessageAndFields()
    {
        var output = new StringWriter();
        var factory = new LogfmtLoggerFactory(LogLevel.Information, output, TimeProvider.System);

        ThingRefused(factory.CreateLogger("Ferry.Proxy"), "127.0.0.1:5000", "certificate expired \"3m\" ago");
        ThingDebug(factory.CreateLogger("Ferry.Proxy"));

        var line = output.ToString();
        Assert.Single(line.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches("^time=\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z level=info logger=Ferry.Proxy event=ThingRefused id=42 ", line);
        Assert.Contains(" msg=\"refused 127.0.0.1:5000: certificate expired \\\"3m\\\" ago\"", line, StringComparison.Ordinal);
        Assert.Contains(" Client=127.0.0.1:5000 Reason=\"certificate expired \\\"3m\\\" ago\"\n", line, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseLevel_MapsTheConfigWords()
    {
        Assert.Equal(LogLevel.Debug, FerryLogging.ParseLevel("debug"));
        Assert.Equal(LogLevel.Information, FerryLogging.ParseLevel("info"));
        Assert.Equal(LogLevel.Warning, FerryLogging.ParseLevel("warning"));
        Assert.Equal(LogLevel.Error, FerryLogging.ParseLevel("error"));
    }
}
