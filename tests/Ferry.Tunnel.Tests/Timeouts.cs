namespace Ferry.Tunnel.Tests;

/// <summary>Upper bounds that only stop a broken test from hanging; no test asserts on elapsed time.</summary>
internal static class Timeouts
{
    public static readonly TimeSpan Test = TimeSpan.FromSeconds(30);

    public static CancellationToken Token() => new CancellationTokenSource(Test).Token;

    /// <summary>Polls <paramref name="condition"/> until true; fails the test after <see cref="Test"/>.</summary>
    public static async Task Until(Func<bool> condition, string what)
    {
        DateTime deadline = DateTime.UtcNow + Test;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting until {what}");
            }

            await Task.Delay(5);
        }
    }
}
