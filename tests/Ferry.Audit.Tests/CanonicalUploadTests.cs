using System.Text;
using System.Text.Json;

namespace Ferry.Audit.Tests;

/// <summary>
/// The auth service stores an uploaded event's bytes as they came when the reader vouches that they are its canonical
/// JSON (what <see cref="AuditJsonContext"/> writes for it), instead of serialising it again. The reader must never
/// vouch for anything else: the chain hashes the canonical JSON, and search, export and verification read it back.
/// </summary>
public sealed class CanonicalUploadTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 5, 7, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("ferry-canonical-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void WhatTheWriterWrote_IsVouchedFor_AndIsExactlyTheWritersBytesForThatEvent()
    {
        List<AuditEvent> sent = Enumerable.Range(0, 40).Select(Plain).ToList();
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(sent, AuditJsonContext.Default.ListAuditEvent);

        var canonical = new List<ReadOnlyMemory<byte>>();
        List<AuditEvent> read = AuditEventReader.ReadUpload(body, canonical)!;

        Assert.Equal(sent.Count, canonical.Count);
        for (int i = 0; i < read.Count; i++)
        {
            Assert.Equal(AuditChain.CanonicalJson(read[i]), canonical[i].ToArray());
        }
    }

    [Fact]
    public void EventsTheWriterWouldWriteOtherwise_AreReadTheSame_ButNotVouchedFor()
    {
        string plain = Encoding.UTF8.GetString(AuditChain.CanonicalJson(Plain(1)));
        Assert.StartsWith("""{"id":""", plain);
        string[] variants =
        [
            "{ " + plain[1..],                                                        // space after {
            plain.Replace("\"code\":", "\"code\" :", StringComparison.Ordinal),       // space before a colon
            plain.Replace("\"code\":", "\"code\": ", StringComparison.Ordinal),       // space after a colon
            plain.Replace(",\"type\"", ", \"type\"", StringComparison.Ordinal),       // space after a comma
            plain.Replace(",\"type\"", "\n,\"type\"", StringComparison.Ordinal),      // newline before a comma
            plain[..^1] + " }",                                                       // space before }
            plain.Replace("[\"developer\",\"dba\"]", "[ \"developer\",\"dba\"]", StringComparison.Ordinal),
            plain.Replace("{\"env\":\"prod\"", "{\"env\": \"prod\"", StringComparison.Ordinal),
            plain.Replace("\"user\":", "\"\\u0075ser\":", StringComparison.Ordinal),  // escaped name
            plain.Replace("\"alice\"", "\"\\u0061lice\"", StringComparison.Ordinal),  // escaped value
            plain.Replace("\"env\":", "\"\\u0065nv\":", StringComparison.Ordinal),    // escaped map key
            plain.Replace(",\"type\":", ",\"error\":null,\"type\":", StringComparison.Ordinal), // a null
            plain[..^1] + ",\"unknown\":1}",                                          // unknown property
            plain[..^1] + ",\"user\":\"alice\"}",                                     // repeated property
            plain[..^1] + ",\"query\":\"SELECT 2\"}",                                 // a repeated statement: the last counts
            plain.Replace("\"alice\"", "\"o'neil\"", StringComparison.Ordinal),      // the writer escapes ' < > & + ` and non-ASCII
            plain.Replace("\"alice\"", "\"a<b\"", StringComparison.Ordinal),
            plain.Replace("\"alice\"", "\"a+b\"", StringComparison.Ordinal),
            plain.Replace("\"alice\"", "\"zoë\"", StringComparison.Ordinal),
            plain.Replace("\"prod\"", "\"pr`od\"", StringComparison.Ordinal),        // in a map value
            plain.Replace(",\"query_length\"", ",\"unknown\":1,\"query\":\"SELECT 3\",\"query_length\"", StringComparison.Ordinal),
            plain.Replace("\"1\",null,", "\"1\",\"\\u0041\",null,", StringComparison.Ordinal),   // an escaped parameter
            plain.Replace("\"rows\":1,", "", StringComparison.Ordinal)[..^1] + ",\"rows\":1}", // out of order
            plain.Replace("{\"env\":\"prod\"", "{\"env\":\"prod\",\"env\":\"prod\"", StringComparison.Ordinal), // repeated key
            plain.Replace("\"rows\":1,", "\"rows\":1,\"bytes_in\":-0,", StringComparison.Ordinal), // -0
            plain.Replace(",\"success\":true", "", StringComparison.Ordinal),         // success left out (written always)
            plain.Replace("T07:00:00.001+00:00", "T07:00:00.0010000+00:00", StringComparison.Ordinal), // time's zeros
            plain.Replace("T07:00:00.001+00:00", "T07:00:00.001Z", StringComparison.Ordinal),          // time's Z
        ];

        foreach (string variant in variants)
        {
            Assert.NotEqual(plain, variant);
            byte[] body = Encoding.UTF8.GetBytes("[" + variant + "]");
            var canonical = new List<ReadOnlyMemory<byte>>();
            AuditEvent read = Assert.Single(AuditEventReader.ReadUpload(body, canonical)!);

            Assert.True(canonical[0].IsEmpty, "vouched for: " + variant);
            Assert.Equal(
                JsonSerializer.Serialize(JsonSerializer.Deserialize(variant, AuditJsonContext.Default.AuditEvent), AuditJsonContext.Default.AuditEvent),
                JsonSerializer.Serialize(read, AuditJsonContext.Default.AuditEvent));
        }
    }

    [Fact]
    public void StringsTheWriterEscapes_AndTruncatedParameters_AreNotVouchedFor_TheEventsAroundThemAre()
    {
        AuditEvent quoted = Plain(1);
        quoted.Query = "SELECT 'x'"; // ' is written \u0027
        AuditEvent accented = Plain(2);
        accented.User = "zoë";
        AuditEvent cut = Plain(3);
        cut.TruncatedParameters = [new AuditTruncatedValue(0, 5000, new string('b', 64))];
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(new List<AuditEvent> { Plain(0), quoted, accented, cut, Plain(4) }, AuditJsonContext.Default.ListAuditEvent);

        var canonical = new List<ReadOnlyMemory<byte>>();
        AuditEventReader.ReadUpload(body, canonical);

        Assert.Equal([false, true, true, true, false], canonical.Select(c => c.IsEmpty));
    }

    [Fact]
    public void AValueRepeatedFromAnEarlierEvent_IsJudgedByItsOwnBytes_AndReadTheSame()
    {
        // The reader reuses a value whose bytes it has seen in an earlier event of the upload (sessions repeat their
        // fields): the same value written differently must not inherit the earlier bytes' verdict, either way.
        string Canonical(int i) => Encoding.UTF8.GetString(AuditChain.CanonicalJson(Plain(i)));
        string Spaced(int i) => Canonical(i).Replace("[\"developer\",\"dba\"]", "[ \"developer\",\"dba\"]", StringComparison.Ordinal);
        string Escaped(int i) => Canonical(i).Replace("\"alice\"", "\"\\u0061lice\"", StringComparison.Ordinal)
            .Replace("\"prod\",\"region\"", "\"pr\\u006fd\",\"region\"", StringComparison.Ordinal);
        string[] events = [Canonical(1), Spaced(2), Canonical(4), Spaced(5), Escaped(7), Canonical(8), Escaped(10), Canonical(11)];
        Assert.All(events.Skip(1), e => Assert.NotEqual(Canonical(1)[40..], e[40..]));
        byte[] body = Encoding.UTF8.GetBytes("[" + string.Join(",", events) + "]");

        var canonical = new List<ReadOnlyMemory<byte>>();
        List<AuditEvent> read = AuditEventReader.ReadUpload(body, canonical)!;

        Assert.Equal([true, false, true, false, false, true, false, true], canonical.Select(c => !c.IsEmpty));
        for (int i = 0; i < events.Length; i++)
        {
            Assert.Equal(
                JsonSerializer.Serialize(JsonSerializer.Deserialize(events[i], AuditJsonContext.Default.AuditEvent), AuditJsonContext.Default.AuditEvent),
                JsonSerializer.Serialize(read[i], AuditJsonContext.Default.AuditEvent));
        }
    }

    [Fact]
    public void ManyDistinctValuesOfAField_AreEachReadRight()
    {
        // More sessions than the reader remembers per field, interleaved as an agent's upload interleaves them.
        List<AuditEvent> sent = Enumerable.Range(0, 200).Select(i =>
        {
            AuditEvent e = Plain(i);
            e.SessionId = "session-" + (i * 7 % 23).ToString(System.Globalization.CultureInfo.InvariantCulture);
            e.Roles = [e.SessionId];
            e.DbLabels = new Dictionary<string, string> { ["s"] = e.SessionId };
            e.User = i % 11 == 0 ? "zoë" : "user" + (i % 13).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return e;
        }).ToList();
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(sent, AuditJsonContext.Default.ListAuditEvent);

        var canonical = new List<ReadOnlyMemory<byte>>();
        List<AuditEvent> read = AuditEventReader.ReadUpload(body, canonical)!;
        List<AuditEvent> sequence = AuditEventReader.ReadUpload(new System.Buffers.ReadOnlySequence<byte>(body))!;

        for (int i = 0; i < sent.Count; i++)
        {
            Assert.Equal(AuditChain.CanonicalJson(sent[i]), AuditChain.CanonicalJson(read[i]));
            Assert.Equal(AuditChain.CanonicalJson(sent[i]), AuditChain.CanonicalJson(sequence[i]));
            Assert.Equal(i % 11 != 0, !canonical[i].IsEmpty); // the writer escapes ë
        }
    }

    [Fact]
    public void AStoreGivenTheCanonicalBytes_WritesTheSameSegmentAsOneThatWritesEveryEvent()
    {
        var events = Enumerable.Range(0, 30).Select(i => i % 5 == 0 ? Quoted(i) : Plain(i)).ToList();
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(events, AuditJsonContext.Default.ListAuditEvent);
        var canonical = new List<ReadOnlyMemory<byte>>();
        List<AuditEvent> read = AuditEventReader.ReadUpload(body, canonical)!;
        string kept = Path.Combine(_dir, "kept"), written = Path.Combine(_dir, "written");

        using (var store = AuditStore.Open(kept, new AuditStoreOptions { Fsync = false }))
        {
            Assert.Equal(30, store.Append(read, canonical));
            Assert.Equal(24, store.CanonicalKept);
            Assert.True(store.Verify().Ok);
        }

        using (var store = AuditStore.Open(written, new AuditStoreOptions { Fsync = false }))
        {
            Assert.Equal(30, store.Append(AuditEventReader.ReadUpload(body, [])!));
            Assert.Equal(0, store.CanonicalKept);
        }

        string[] logs = Directory.GetFiles(kept, "*.log");
        Assert.NotEmpty(logs);
        foreach (string log in logs)
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(written, Path.GetFileName(log))), File.ReadAllBytes(log));
        }
    }

    [Fact]
    public void AStoreGivenBytesForAnEventNowDifferent_WouldStoreThem_SoTheCallerMustNotGiveThem()
    {
        // The store trusts the caller's bytes (the endpoint gives them only for events its stamp left as read): this pins
        // that contract, so a caller that passed stale bytes would be caught by the endpoint's test, not hidden here.
        AuditEvent e = Plain(1);
        byte[] json = AuditChain.CanonicalJson(e);
        e.AgentId = "agent-other";
        using var store = AuditStore.Open(_dir, new AuditStoreOptions { Fsync = false });

        store.Append([e], [json]);

        Assert.Equal("agent-eu-1", Assert.Single(store.Search(new AuditQuery { Limit = 0 })).AgentId);
    }

    private static AuditEvent Quoted(int i)
    {
        AuditEvent e = Plain(i);
        e.Query = "SELECT \"q\" FROM t";
        return e;
    }

    private static AuditEvent Plain(int i) => new()
    {
        Id = AuditEventId.New(T0.AddMilliseconds(i)),
        Time = T0.AddMilliseconds(i),
        Type = AuditEventTypes.DbSessionBind,
        Code = AuditEventKinds.DbSessionBind.Code,
        Cluster = "prod",
        User = "alice",
        Roles = ["developer", "dba"],
        ClientAddr = "10.1.2.3:51234",
        SessionId = "7f9c2ba4-e88f-11ec-8ea0-0242ac120002",
        AgentId = "agent-eu-1",
        Success = i % 3 != 0,
        Error = i % 3 == 0 ? "ERROR 42P01: relation x does not exist" : null,
        DbService = "orders",
        DbProtocol = "postgres",
        DbUser = "app",
        DbName = "shop",
        DbLabels = new Dictionary<string, string> { ["env"] = "prod", ["region"] = "eu" },
        AccessRequestIds = i % 2 == 0 ? ["req-1"] : null,
        Query = "SELECT abalance FROM pgbench_accounts WHERE aid = $1;",
        QueryLength = 51,
        QuerySha256 = new string('a', 64),
        Truncated = i % 4 == 0 ? true : null,
        StatementName = "s" + (i % 3).ToString(System.Globalization.CultureInfo.InvariantCulture),
        StatementId = i,
        Parameters = [i.ToString(System.Globalization.CultureInfo.InvariantCulture), null, "2025-01-01"],
        Rows = i,
        BytesIn = i == 2 ? long.MinValue : 10,
        BytesOut = long.MaxValue - i,
        DurationUs = 812,
        EndReason = "client_closed",
        Details = new Dictionary<string, string> { ["portal"] = "", ["statement"] = "01J" },
        Source = "4f1c2d",
        Seq = i + 1,
    };
}
