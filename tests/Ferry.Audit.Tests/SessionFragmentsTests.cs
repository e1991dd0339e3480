using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Ferry.Audit.Tests;

/// <summary>
/// The spool writes a session's events with the JSON of the session's fields copied in (<see cref="SessionFragments"/>)
/// instead of serialising them again: the record must be byte for byte what the serializer writes for the event, for
/// any values the fields can hold, and an event whose session fields changed after it was made must not get them.
/// </summary>
public sealed class SessionFragmentsTests
{
    // Everything the writer's encoder treats specially: quotes, backslashes, HTML-sensitive ASCII, control characters,
    // non-ASCII, a surrogate pair, and plain text.
    private static readonly string[] Texts =
    [
        "", "bench", "alice@example.com", "o'neil", "a\"b", "back\\slash", "<script>", "a&b+c", "tab\there", "line\nbreak",
        "\u0001", "zoë", "日本語", "😀 emoji", "127.0.0.1:54321", "SELECT abalance FROM pgbench_accounts WHERE aid = 1;",
    ];

    [Fact]
    public void EventsOfASession_AreWrittenExactlyAsTheSerializerWritesThem_WithTheFragmentsInPlace()
    {
        var random = new Random(20261206);
        int viaFragments = 0;
        for (int round = 0; round < 400; round++)
        {
            var factory = new AuditEventFactory(new AuditOrigin(Maybe(random), Maybe(random), Maybe(random)), TimeProvider.System);
            DbSessionSubject session = Subject(random);
            for (int i = 0; i < 5; i++)
            {
                AuditEvent e = factory.Create(Kinds[random.Next(Kinds.Length)], session);
                PerEvent(random, e);
                Assert.NotNull(e.Fragments);
                Assert.True(e.Fragments!.Matches(e));

                Assert.Equal(Serializer(e), Written(e));
                viaFragments++;
            }
        }

        Assert.Equal(2000, viaFragments);
    }

    [Fact]
    public void AnEventWhoseSessionFieldsChanged_IsWrittenFromItsOwnValues()
    {
        var factory = new AuditEventFactory(AuditOrigin.Agent("prod", "agent-1"), TimeProvider.System);
        var session = new DbSessionSubject("alice", ["dev"], "10.0.0.1:5000", "s-1", "orders", "postgres", "app", "shop",
            new Dictionary<string, string> { ["env"] = "prod" }, ["req-1"]);
        Action<AuditEvent>[] changes =
        [
            e => e.User = "mallory",
            e => e.Roles = ["admin"],
            e => e.ClientAddr = "10.0.0.2:5000",
            e => e.SessionId = "s-2",
            e => e.Cluster = "other",
            e => e.AgentId = "agent-2",
            e => e.ServerId = "proxy-1",
            e => e.DbService = "billing",
            e => e.DbProtocol = "mysql",
            e => e.DbUser = "root",
            e => e.DbName = "mysql",
            e => e.DbLabels = new Dictionary<string, string> { ["env"] = "dev" },
            e => e.AccessRequestIds = null,
            e => e.User = new string("alice".ToCharArray()), // equal text, another string: written from the event too
        ];

        foreach (Action<AuditEvent> change in changes)
        {
            AuditEvent e = factory.Create(AuditEventKinds.DbSessionQuery, session);
            e.Query = "SELECT 1";
            change(e);

            Assert.False(e.Fragments!.Matches(e));
            Assert.Equal(Serializer(e), Written(e));
        }
    }

    [Fact]
    public void AnEventWithTruncatedParameters_IsWrittenByTheSerializer()
    {
        var factory = new AuditEventFactory(AuditOrigin.Agent("prod", "agent-1"), TimeProvider.System);
        AuditEvent e = factory.Create(AuditEventKinds.DbSessionBind, new DbSessionSubject("alice", ["dev"]));
        e.Parameters = ["x"];
        e.TruncatedParameters = [new AuditTruncatedValue(0, 5000, new string('b', 64))];

        Assert.Equal(Serializer(e), Written(e));
    }

    [Fact]
    public void TheSpoolStoresTheSameRecords_AndTheStoreVouchesForThemAsCanonical()
    {
        using var dir = new TempDirectory();
        var factory = new AuditEventFactory(AuditOrigin.Agent("prod", "agent-1"), TimeProvider.System);
        var session = new DbSessionSubject("alice", ["dev", "dba"], "10.0.0.1:5000", "s-1", "orders", "postgres", "app", "shop",
            new Dictionary<string, string> { ["env"] = "prod" });
        var sent = new List<AuditEvent>();
        using (var spool = AuditSpool.Open(dir.Path, new AuditSpoolOptions { Fsync = false }))
        {
            for (int i = 0; i < 50; i++)
            {
                AuditEvent e = factory.Create(i % 2 == 0 ? AuditEventKinds.DbSessionQuery : AuditEventKinds.DbSessionResult, session);
                e.Query = i % 2 == 0 ? $"SELECT {i}" : null;
                e.Rows = i % 2 == 0 ? null : i;
                spool.Append([e], sync: false);
                sent.Add(e);
            }

            SpoolBatch batch = spool.Read(spool.AckedPosition, 100);
            byte[] body = batch.Batch.Json.ToArray(); // the upload's body, as the shipper sends it
            var canonical = new List<ReadOnlyMemory<byte>>();
            List<AuditEvent> read = AuditEventReader.ReadUpload(body, canonical)!;

            Assert.Equal(sent.Count, read.Count);
            Assert.All(canonical, c => Assert.False(c.IsEmpty));
            for (int i = 0; i < sent.Count; i++)
            {
                Assert.Equal(AuditChain.CanonicalJson(read[i]), canonical[i].ToArray());
                Assert.Equal(sent[i].Id, read[i].Id);
                Assert.Equal("alice", read[i].User);
            }
        }
    }

    private static readonly AuditEventKind[] Kinds =
        [AuditEventKinds.DbSessionQuery, AuditEventKinds.DbSessionResult, AuditEventKinds.DbSessionBind, AuditEventKinds.DbSessionEnd, AuditEventKinds.DbSessionStartDenied];

    private static DbSessionSubject Subject(Random random) => new(
        Maybe(random), random.Next(4) == 0 ? null : Enumerable.Range(0, random.Next(4)).Select(_ => Text(random)).ToList(),
        Maybe(random), Maybe(random), Maybe(random), Maybe(random), Maybe(random), Maybe(random),
        random.Next(3) == 0 ? null : Enumerable.Range(0, random.Next(3)).ToDictionary(i => Text(random) + i, _ => Text(random)),
        random.Next(3) == 0 ? null : Enumerable.Range(0, random.Next(3)).Select(_ => Text(random)).ToList());

    private static void PerEvent(Random random, AuditEvent e)
    {
        e.Success = random.Next(2) == 0;
        e.Error = Maybe(random);
        e.Query = Maybe(random);
        e.QueryLength = random.Next(2) == 0 ? null : random.NextInt64(long.MinValue, long.MaxValue);
        e.QuerySha256 = Maybe(random);
        e.Truncated = random.Next(3) switch { 0 => null, 1 => true, _ => false };
        e.StatementName = Maybe(random);
        e.StatementId = random.Next(2) == 0 ? null : random.Next();
        e.Parameters = random.Next(2) == 0 ? null : Enumerable.Range(0, random.Next(4)).Select(_ => Maybe(random)).ToList();
        e.Rows = random.Next(2) == 0 ? null : random.Next();
        e.BytesIn = random.Next(2) == 0 ? null : random.Next();
        e.BytesOut = random.Next(2) == 0 ? null : -random.Next();
        e.DurationUs = random.Next(2) == 0 ? null : random.Next();
        e.EndReason = Maybe(random);
        e.Details = random.Next(2) == 0 ? null : Enumerable.Range(0, random.Next(3)).ToDictionary(i => Text(random) + i, _ => Text(random));
        e.Source = Maybe(random);
        e.Seq = random.Next(2) == 0 ? null : random.Next();
        e.Time = random.Next(2) == 0 ? e.Time : new DateTimeOffset(random.NextInt64(DateTimeOffset.MinValue.Ticks, DateTimeOffset.MaxValue.Ticks), TimeSpan.FromMinutes(random.Next(-600, 600)));
    }

    private static string? Maybe(Random random) => random.Next(4) == 0 ? null : Text(random);

    private static string Text(Random random) => random.Next(3) == 0 ? Texts[random.Next(Texts.Length)] + Texts[random.Next(Texts.Length)] : Texts[random.Next(Texts.Length)];

    private static byte[] Serializer(AuditEvent e) => JsonSerializer.SerializeToUtf8Bytes(e, AuditJsonContext.Default.AuditEvent);

    /// <summary>What the spool's framing writes for <paramref name="e"/> (its payload).</summary>
    private static byte[] Written(AuditEvent e)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true });
        int payload = RecordFraming.WriteEvent(buffer, json, e, 0, out int start);
        return buffer.WrittenSpan.Slice(start + RecordFraming.HeaderSize, payload).ToArray();
    }
}
