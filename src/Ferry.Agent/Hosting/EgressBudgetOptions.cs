namespace Ferry.Agent.Hosting;

/// <summary>Timings and bounds of <see cref="EgressBudgetClient"/>; the defaults suit every deployment we know of.</summary>
public sealed record EgressBudgetOptions
{
    /// <summary>How often counted usage is sent while there is some (the overshoot across agents is what one session takes in this long).</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How often the totals of a budget in use are fetched even with nothing to report (learns other agents' usage).</summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>With no exchange with the auth service for this long, the agent fails closed on budgets nearly spent or unknown.</summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The share of a budget past which an agent that cannot reach the auth service refuses (fail closed).</summary>
    public double NearlySpent { get; init; } = 0.8;

    /// <summary>How long a session start waits for the first totals of a budget this agent has not seen yet.</summary>
    public TimeSpan FirstAnswerWait { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Most entries (user × database × window length) per report.</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>Most budgets tracked at once; idle ones with nothing to report are forgotten first.</summary>
    public int MaxEntries { get; init; } = 100_000;

    /// <summary>A budget not used for this long (and with nothing to report) is forgotten.</summary>
    public TimeSpan ForgetAfter { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Longest wait between two attempts while the auth service is unreachable.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(5);
}
