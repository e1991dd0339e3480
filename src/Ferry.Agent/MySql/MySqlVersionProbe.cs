using Ferry.Identity;

namespace Ferry.Agent.MySql;

/// <summary>
/// Keeps <see cref="MySqlAgentState.ServerVersion"/> and the default collation filled for the heartbeat: reads the greeting of each
/// MySQL database the agent has not heard from yet (no login), then again every few minutes.
/// Sessions also note the version whenever they connect; the health probe notes it for databases with a <c>health_check_user</c>,
/// which this probe leaves alone (MariaDB logs each greeting-only connection as aborted).
/// </summary>
public static class MySqlVersionProbe
{
    public static async Task RunAsync(AgentContext ctx, CancellationToken ct)
    {
        var lastProbe = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2), ctx.Time);
        do
        {
            foreach (var db in ctx.Databases.Values)
            {
                if (db.Protocol != DatabaseProtocol.MySql || db.HealthCheckUser is not null)
                {
                    // A database with a health-check user has its version noted by every probe login (no unauthenticated close).
                    continue;
                }
                var now = ctx.Time.GetUtcNow();
                var known = ctx.MySql.ServerVersion(db.Name).Length > 0;
                if (lastProbe.TryGetValue(db.Name, out var at) && now - at < (known ? TimeSpan.FromMinutes(5) : TimeSpan.FromSeconds(10)))
                {
                    continue;
                }
                lastProbe[db.Name] = now;
                if (await MySqlBackendConnector.ProbeVersionAsync(db, TimeSpan.FromSeconds(5), ct) is var (version, collation))
                {
                    ctx.MySql.NoteServerVersion(db.Name, version);
                    ctx.MySql.NoteCollation(db.Name, collation);
                }
            }
        }
        while (await WaitAsync(timer, ct));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
