using Ferry.Auth.Users;

namespace Ferry.Auth.Tests;

public sealed class LoginFailureAuditTests
{
    [Fact]
    public void FirstFailureOfEachUserAndSource_IsWrittenAtOnce_TheRestAreSummed()
    {
        var audit = new LoginFailureAudit(new LoginThrottleOptions());
        Assert.True(audit.Record("bob", "10.0.0.1", "invalid credentials"));
        for (var i = 0; i < 1000; i++)
        {
            Assert.False(audit.Record("bob", "10.0.0.1", "invalid credentials"));
        }

        Assert.True(audit.Record("bob", "10.0.0.2", "invalid credentials"));
        Assert.True(audit.Record("bob", "10.0.0.1", "throttled"));

        var (summaries, overflow) = audit.Flush();
        var summary = Assert.Single(summaries);
        Assert.Equal(new LoginFailureAudit.Summary("bob", "10.0.0.1", "invalid credentials", 1000), summary);
        Assert.Equal(0, overflow);
        Assert.True(audit.Record("bob", "10.0.0.1", "invalid credentials"));
    }

    [Fact]
    public void EventsAndSummariesPerWindow_AreBounded_WhateverTheNumberOfUsersAndSources()
    {
        var audit = new LoginFailureAudit(new LoginThrottleOptions { MaxAuditEventsPerWindow = 10, MaxAuditSummariesPerWindow = 50 });
        var written = 0;
        for (var i = 0; i < 100_000; i++)
        {
            written += audit.Record("user" + i, "10.0." + (i % 250) + ".1", "invalid credentials") ? 1 : 0;
        }

        var (summaries, overflow) = audit.Flush();
        Assert.Equal(10, written);
        Assert.Equal(40, summaries.Count);
        Assert.All(summaries, s => Assert.Equal(1, s.Count));
        Assert.Equal(100_000 - 50, overflow);
    }
}
