using Ferry.Hosting;

namespace Ferry.Proxy.Tests;

public sealed class EventThreadsTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(3, 1)]
    [InlineData(4, 2)]
    [InlineData(16, 8)]
    public void InlineCompletions_RunOneSocketEventThreadPerTwoCpus_AtLeastOne(int processors, int expected)
    {
        Assert.Equal(expected, InlineSocketCompletions.EventThreads(processors));
    }
}
