using Ferry.Testing;

namespace Ferry.Fixtures.Tests;

/// <summary>What a test learns from <see cref="ProcessRunner.RunAsync"/> when a helper process does not end in time.</summary>
public sealed class ProcessRunnerTests
{
    [Fact]
    public async Task AHelperThatDoesNotEnd_IsKilled_AndTheFailureCarriesItsOutputAndItsThreads()
    {
        var e = await Assert.ThrowsAsync<TimeoutException>(() => ProcessRunner.RunAsync(
            "/bin/bash", ["-c", "echo before-the-hang; echo on-stderr >&2; exec sleep 300"], TimeSpan.FromSeconds(2)));

        Assert.Contains("did not finish in time", e.Message, StringComparison.Ordinal);
        Assert.Contains("before-the-hang", e.Message, StringComparison.Ordinal);
        Assert.Contains("on-stderr", e.Message, StringComparison.Ordinal);
        // The hung process's thread, by name and kernel wait channel (sleep waits in a nanosleep).
        Assert.Contains(" sleep wchan=", e.Message, StringComparison.Ordinal);
        if (File.Exists("/usr/bin/gdb"))
        {
            Assert.Contains("Thread 1", e.Message, StringComparison.Ordinal);
        }
    }
}
