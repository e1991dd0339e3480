using Ferry.Audit;

namespace Ferry.Benchmarks.Audit;

/// <summary>Realistic query events (about 450 bytes of JSON each) with fresh ULIDs.</summary>
internal static class AuditBenchEvents
{
    private static readonly DateTimeOffset Start = DateTimeOffset.UtcNow;
    private static long _counter;

    public static AuditEvent[] Make(int count)
    {
        var events = new AuditEvent[count];
        for (int i = 0; i < count; i++)
        {
            long n = Interlocked.Increment(ref _counter);
            DateTimeOffset t = Start.AddTicks(n * 10);
            events[i] = new AuditEvent
            {
                Id = AuditEventId.New(t),
                Time = t,
                Type = AuditEventTypes.DbSessionQuery,
                Code = AuditEventKinds.DbSessionQuery.Code,
                Cluster = "bench",
                User = "user" + (n % 50),
                Roles = ["developer"],
                ClientAddr = "10.1.2.3:51234",
                SessionId = "7f9c2ba4-e88f-11ec-8ea0-0242ac1200" + (n % 100).ToString("D2", System.Globalization.CultureInfo.InvariantCulture),
                ServerId = "agent-eu-1",
                DbService = "pg" + (n % 5),
                DbProtocol = "postgres",
                DbUser = "app",
                DbName = "shop",
                Query = "SELECT o.id, o.total FROM orders o WHERE o.customer_id = $1 AND o.created_at > $2 ORDER BY o.created_at DESC LIMIT 50",
                Parameters = ["4711", "2025-01-01"],
                Rows = 50,
                DurationUs = 812,
            };
        }

        return events;
    }

    /// <summary>Gives every event a new id so the store does not drop it as a duplicate.</summary>
    public static void Renew(AuditEvent[] events)
    {
        foreach (AuditEvent e in events)
        {
            e.Id = AuditEventId.New(e.Time);
        }
    }
}
