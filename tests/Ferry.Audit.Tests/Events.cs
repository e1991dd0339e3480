namespace Ferry.Audit.Tests;

internal static class Events
{
    public static readonly DateTimeOffset T0 = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public static AuditEvent Query(int i, string user = "alice", string db = "pg1", string? session = null, DateTimeOffset? time = null, string? query = null) => new()
    {
        Id = AuditEventId.New(time ?? T0.AddMilliseconds(i)),
        Time = time ?? T0.AddMilliseconds(i),
        Type = AuditEventTypes.DbSessionQuery,
        Code = AuditEventKinds.DbSessionQuery.Code,
        Cluster = "main",
        User = user,
        Roles = ["dba"],
        ClientAddr = "127.0.0.1:50000",
        SessionId = session ?? "sess-" + (i % 7).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ServerId = "agent-1",
        DbService = db,
        DbProtocol = "postgres",
        DbUser = "app",
        DbName = "shop",
        Query = query ?? $"SELECT {i} FROM items WHERE id = $1",
        DurationUs = 100 + i,
        Rows = i % 10,
    };

    public static List<AuditEvent> Many(int n, int from = 0) => [.. Enumerable.Range(from, n).Select(i => Query(i))];
}
