using Ferry.Contracts;

namespace Ferry.Agent.Hosting;

/// <summary>
/// Registers the agent's databases with the auth service (<c>POST /v1/agents/databases</c>, or in-process): at start,
/// within a second of any change (health, labels, version) and at least every third of the registration's TTL. The
/// auth service binds each name to this agent: only then does it list the database to users and issue db-client
/// certificates for it to this agent.
/// </summary>
public sealed class DatabaseRegistrar(Func<IReadOnlyList<DatabaseEntry>> databases, Func<AgentDatabasesReport, CancellationToken, Task<AgentDatabasesResponse>> register, Action<string> log)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);
    private readonly TaskCompletionSource _firstAttempt = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes after the first registration attempt (whatever its outcome): tunnels wait for it, so the
    /// databases are bound before the first session can ask for a db-client certificate.</summary>
    public Task FirstAttempt => _firstAttempt.Task;

    public async Task RunAsync(CancellationToken ct)
    {
        string? last = null;
        var sentAt = DateTimeOffset.MinValue;
        string? failing = null;
        string? refused = null;
        while (!ct.IsCancellationRequested)
        {
            var entries = databases();
            var fingerprint = string.Join("\n", entries.Select(Fingerprint));
            var now = DateTimeOffset.UtcNow;
            if (fingerprint != last || now - sentAt >= Ttl / 3)
            {
                try
                {
                    var response = await register(new AgentDatabasesReport { Databases = [.. entries], TtlSeconds = (int)Ttl.TotalSeconds }, ct).ConfigureAwait(false);
                    last = fingerprint;
                    sentAt = now;
                    failing = null;
                    var why = string.Join("; ", response.Refused.Select(p => $"{p.Key}: {p.Value}"));
                    if (why.Length > 0 && why != refused)
                    {
                        log($"the auth service refused some databases of this agent: {why}");
                    }
                    refused = why;
                }
                catch (Exception e) when (e is AuthApiException or HttpRequestException or IOException or InvalidOperationException)
                {
                    if (failing != e.Message)
                    {
                        log($"cannot register this agent's databases with the auth service: {e.Message}");
                    }
                    failing = e.Message;
                }
                _firstAttempt.TrySetResult();
            }
            await Task.Delay(Poll, ct).ConfigureAwait(false);
        }
    }

    private static string Fingerprint(DatabaseEntry d) =>
        $"{d.Name}|{d.Protocol}|{d.Healthy}|{d.ServerVersion}|{d.Description}|{string.Join(",", d.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value))}";
}
