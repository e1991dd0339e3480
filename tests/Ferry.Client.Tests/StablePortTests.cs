namespace Ferry.Client.Tests;

public sealed class StablePortTests
{
    [Fact]
    public void For_IsTheSameOnEveryRun_InsideTheRange_AndDiffersBetweenNames()
    {
        Assert.Equal(StablePort.For("pg1"), StablePort.For("pg1"));
        var ports = new[] { "pg1", "my1", "pgprod", "analytics", "orders" }.Select(StablePort.For).ToList();
        Assert.All(ports, p => Assert.InRange(p, 20000, 29999));
        Assert.Equal(ports.Count, ports.Distinct().Count());
    }

    [Fact]
    public void For_IsFnv1aOfTheName()
    {
        // FNV-1a 32-bit of "a" is 0xE40C292C = 3826002220; 3826002220 % 10000 = 2220.
        Assert.Equal(22220, StablePort.For("a"));
    }
}
