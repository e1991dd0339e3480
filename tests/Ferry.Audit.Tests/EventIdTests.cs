using System.Text.Json;

namespace Ferry.Audit.Tests;

public sealed class EventIdTests
{
    [Fact]
    public void TwoGenerators_GiveDifferentIds_ForTheSameMillisecond()
    {
        // Two processes (or one before and after a restart) making ids in the same millisecond.
        var first = new AuditEventIdGenerator();
        var second = new AuditEventIdGenerator();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < 10_000; i++)
        {
            Assert.True(seen.Add(first.New(Events.T0)));
            Assert.True(seen.Add(second.New(Events.T0)));
        }
    }

    [Fact]
    public void OneGenerator_IdsOfOneMillisecond_SortInTheOrderTheyWereMade()
    {
        var generator = new AuditEventIdGenerator();
        string previous = generator.New(Events.T0);
        for (int i = 0; i < 10_000; i++)
        {
            string next = generator.New(Events.T0);
            Assert.True(string.CompareOrdinal(previous, next) < 0, $"{next} does not sort after {previous}");
            previous = next;
        }
    }

    [Fact]
    public void Ids_AreUlidsCarryingTheirTime()
    {
        var generator = new AuditEventIdGenerator();
        foreach (DateTimeOffset time in new[] { Events.T0, Events.T0.AddMilliseconds(1), Events.T0.AddYears(30) })
        {
            string id = generator.New(time);
            Assert.Equal(26, id.Length);
            Assert.All(id, c => Assert.Contains(c, "0123456789ABCDEFGHJKMNPQRSTVWXYZ"));
            // Read back as a ULID (not hashed as a foreign id): its top 48 bits are the time.
            Assert.Equal((UInt128)(ulong)time.ToUnixTimeMilliseconds(), AuditEventId.DedupeKey(id) >> 80);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("portal_1")]
    public void PortalDetails_SerialiseAsADictionaryOfThem(string portal)
    {
        AuditEvent Bind(IReadOnlyDictionary<string, string> details) => new()
        {
            Id = "01JGZ5Q3Z8N3S8V6K2X0M4T7AB",
            Time = Events.T0,
            Code = AuditEventKinds.DbSessionBind.Code,
            Type = AuditEventTypes.DbSessionBind,
            Details = details,
        };

        Assert.Equal(
            JsonSerializer.Serialize(Bind(new Dictionary<string, string> { ["portal"] = portal }), AuditJsonContext.Default.AuditEvent),
            JsonSerializer.Serialize(Bind(AuditDetails.Portal(portal)), AuditJsonContext.Default.AuditEvent));
        Assert.Same(AuditDetails.Portal(""), AuditDetails.Portal(""));
    }
}
