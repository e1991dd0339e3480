namespace Ferry.Text.Tests;

public sealed class DurationTextTests
{
    [Theory]
    [InlineData("90s", 90)]
    [InlineData("1h30m", 5400)]
    [InlineData("7d", 604800)]
    public void Durations_Parse(string text, int seconds)
    {
        Assert.True(DurationText.TryParse(text, out var v));
        Assert.Equal(TimeSpan.FromSeconds(seconds), v);
    }

    [Theory]
    [InlineData("12x")]
    [InlineData("h")]
    [InlineData("")]
    public void BadDurations_DoNotParse(string text) => Assert.False(DurationText.TryParse(text, out _));

    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData(" 2m ", 120_000)]
    [InlineData("0s", 0)]
    public void FractionsMillisecondsAndSpaces_Parse(string text, int milliseconds)
    {
        Assert.True(DurationText.TryParse(text, out var v));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), v);
    }

    [Theory]
    [InlineData("99999999999999999999h")]
    [InlineData("9999999999d")]
    [InlineData("5000000d5000000d")]
    [InlineData("-1h")]
    [InlineData("8")]
    public void HugeNegativeOrUnitless_DoNotParse_NorThrow(string text) => Assert.False(DurationText.TryParse(text, out _));

    [Theory]
    [InlineData(0, "1s")]
    [InlineData(45, "45s")]
    [InlineData(-180, "3m")]
    [InlineData(7_500, "2h5m")]
    [InlineData(7_200, "2h")]
    [InlineData(273_600, "3d4h")]
    [InlineData(259_200, "3d")]
    public void Format_IsShortAndHuman(int seconds, string expected) => Assert.Equal(expected, DurationText.Format(TimeSpan.FromSeconds(seconds)));

    [Theory]
    [InlineData(5_400, "1h30m")]
    [InlineData(93_600, "26h")]
    [InlineData(90, "1m30s")]
    [InlineData(0, "0s")]
    public void FormatExact_ReadsBackToTheSameValue(int seconds, string expected)
    {
        var text = DurationText.FormatExact(TimeSpan.FromSeconds(seconds));
        Assert.Equal(expected, text);
        Assert.True(DurationText.TryParse(text, out var again));
        Assert.Equal(TimeSpan.FromSeconds(seconds), again);
    }
}
