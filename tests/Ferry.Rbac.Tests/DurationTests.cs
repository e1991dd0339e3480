using Ferry.Rbac;

namespace Ferry.Rbac.Tests;

public sealed class DurationTests
{
    [Theory]
    [InlineData("1.5h", 5400)]
    [InlineData("2000ms", 2)]
    [InlineData("3650d", 3650 * 86400)]
    public void Duration_ReadsTheConfigGrammar_InWholeSeconds(string text, int seconds)
    {
        Assert.True(Duration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
    }

    [Theory]
    [InlineData("1500ms")]
    [InlineData("3651d")]
    [InlineData("0.1s")]
    public void Duration_RejectsFractionsOfASecondAndMoreThan3650Days(string text)
    {
        Assert.False(Duration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.Zero, value);
    }
}
