using Ferry.Testing;

namespace Ferry.Fixtures.Tests;

/// <summary>What a test reads from <see cref="ManagedServerProcess.Log"/> after <see cref="ManagedServerProcess.Stop"/> is complete.</summary>
public sealed class ManagedServerProcessTests
{
    [Fact]
    public void Stop_ReturnsWithEverythingWrittenToTheOutput_EvenWhenTheLastLinesComeAfterTheProcessItselfExited()
    {
        // The shell exits at once; the line comes a moment later from a child still holding the shell's standard
        // output — as a demo script's last lines may still be in the pipe when the script has exited.
        using var process = ManagedServerProcess.Start("/bin/bash", ["-c", "(sleep 1; echo written-after-exit) & exit 0"]);
        for (var i = 0; i < 100 && !process.HasExited; i++)
        {
            Thread.Sleep(50);
        }
        Assert.True(process.HasExited);

        process.Stop(15, TimeSpan.FromSeconds(10));

        Assert.Contains("written-after-exit", process.Log, StringComparison.Ordinal);
    }
}
