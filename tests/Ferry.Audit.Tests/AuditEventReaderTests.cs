using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Ferry.Audit.Tests;

/// <summary>
/// The auth service reads uploads with <see cref="AuditEventReader"/> instead of the serializer: it must read every
/// body to exactly the events the serializer's contract reads, and refuse exactly what it refuses (fuzz target
/// <c>audit-upload</c> checks the same on arbitrary bodies).
/// </summary>
public sealed class AuditEventReaderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 5, 7, 0, 0, TimeSpan.FromHours(1));

    [Fact]
    public void EventsWithEveryField_ReadToTheSameEventsAsTheSerializer_WholeOrInPieces()
    {
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(Enumerable.Range(0, 50).Select(Full).ToList(), AuditJsonContext.Default.ListAuditEvent);

        foreach (int piece in new[] { 0, 1, 3, 4096 })
        {
            List<AuditEvent> read = AuditEventReader.ReadUpload(piece == 0 ? new ReadOnlySequence<byte>(body) : Pieces(body, piece))!;
            Assert.Equal(body, JsonSerializer.SerializeToUtf8Bytes(read, AuditJsonContext.Default.ListAuditEvent));
        }
    }

    [Theory]
    [InlineData("""[{"\u0069d":"a","ty\u0070e":"t","user":"x","user":"y","details":{"k":"1","\u006b":"2"},"roles":["r"],"roles":null}]""")]
    [InlineData("""[{"id":"a","type":"t","unknown":{"deep":[1,{"x":null}]},"time":"2026-12-05T07:00:00.1234567+05:30","seq":null,"truncated":null}]""")]
    [InlineData("""[{"id":"a","type":"t","rows":9223372036854775807,"bytes_in":-9223372036854775808,"parameters":[null,"1"],"db_labels":{"e":null}}]""")]
    [InlineData("""[{"id":"a","type":"t","truncated_parameters":[{"index":1,"length":5000,"sha256":"ab"},null,{"extra":1}]}]""")]
    [InlineData("""[{"id":"a","type":"t","\u00e9\ud83d\ude00":1,"query":"\u00e9\ud83d\ude00"}]""")]
    [InlineData("""[]""")]
    [InlineData("""null""")]
    public void Accepted_AsTheSerializerAcceptsIt(string json)
    {
        byte[] body = Encoding.UTF8.GetBytes(json);
        List<AuditEvent>? contract = JsonSerializer.Deserialize(body, AuditJsonContext.Default.ListAuditEvent);

        List<AuditEvent>? read = AuditEventReader.ReadUpload(new ReadOnlySequence<byte>(body));

        Assert.Equal(contract is null, read is null);
        if (read is not null)
        {
            Assert.Equal(JsonSerializer.Serialize(contract, AuditJsonContext.Default.ListAuditEvent), JsonSerializer.Serialize(read, AuditJsonContext.Default.ListAuditEvent));
        }
    }

    [Theory]
    [InlineData("""[{"id":"a","rows":1.0}]""")]
    [InlineData("""[{"id":"a","rows":1e3}]""")]
    [InlineData("""[{"id":"a","rows":9223372036854775808}]""")]
    [InlineData("""[{"id":"a","rows":"12"}]""")]
    [InlineData("""[{"id":"a","success":null}]""")]
    [InlineData("""[{"id":"a","time":null}]""")]
    [InlineData("""[{"id":"a","time":"yesterday"}]""")]
    [InlineData("""[{"id":"a","user":1}]""")]
    [InlineData("""[{"id":"a","roles":"r"}]""")]
    [InlineData("""[{"id":"a","roles":[1]}]""")]
    [InlineData("""[{"id":"a","details":[]}]""")]
    [InlineData("""[{"id":"a","details":{"k":1}}]""")]
    [InlineData("""[{"id":"a","\ud800x":1}]""")]
    [InlineData("""[{"id":"a","\udc00\udc00":1}]""")]
    [InlineData("""[{"id":"a","\ud800\u0041":1}]""")]
    [InlineData("""[{"id":"a"}] []""")]
    [InlineData("""[{"id":"a"},1]""")]
    [InlineData("""{"id":"a"}""")]
    [InlineData("""[{"id":"a",}]""")]
    [InlineData("""[{"id":"a"}""")]
    public void Refused_AsTheSerializerRefusesIt(string json)
    {
        byte[] body = Encoding.UTF8.GetBytes(json);
        Assert.ThrowsAny<JsonException>(() => Contract(body));
        Assert.ThrowsAny<JsonException>(() => AuditEventReader.ReadUpload(new ReadOnlySequence<byte>(body)));
    }

    [Fact]
    public void AStringThatIsNotUtf8_IsRefusedByBoth_AsJsonException()
    {
        byte[] body = Encoding.UTF8.GetBytes("""[{"id":"a","user":"abX"}]""");
        body[Array.IndexOf(body, (byte)'X')] = 0xFF;
        Assert.ThrowsAny<JsonException>(() => Contract(body));
        Assert.ThrowsAny<JsonException>(() => AuditEventReader.ReadUpload(new ReadOnlySequence<byte>(body)));
    }

    [Fact]
    public void ANullEvent_IsRefused()
    {
        // The serializer reads it as a null element, which the endpoint then dereferenced (a 500); refused with a 400 now.
        byte[] body = Encoding.UTF8.GetBytes("""[{"id":"a","type":"t"},null]""");
        Assert.Contains(null!, Contract(body)!);
        var e = Assert.ThrowsAny<JsonException>(() => AuditEventReader.ReadUpload(new ReadOnlySequence<byte>(body)));
        Assert.Contains("null", e.Message, StringComparison.Ordinal);
    }

    private static List<AuditEvent>? Contract(byte[] body)
    {
        var reader = new Utf8JsonReader(body);
        List<AuditEvent>? events = JsonSerializer.Deserialize(ref reader, AuditJsonContext.Default.ListAuditEvent);
        return reader.Read() ? throw new JsonException("trailing data") : events;
    }

    private static ReadOnlySequence<byte> Pieces(byte[] bytes, int size)
    {
        Piece? first = null, last = null;
        for (int i = 0; i < bytes.Length; i += size)
        {
            var p = new Piece(bytes.AsMemory(i, Math.Min(size, bytes.Length - i)), last);
            first ??= p;
            last = p;
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Piece : ReadOnlySequenceSegment<byte>
    {
        public Piece(ReadOnlyMemory<byte> memory, Piece? previous)
        {
            Memory = memory;
            if (previous is not null)
            {
                RunningIndex = previous.RunningIndex + previous.Memory.Length;
                previous.Next = this;
            }
        }
    }

    private static AuditEvent Full(int i) => new()
    {
        Id = AuditEventId.New(T0.AddMilliseconds(i)),
        Time = T0.AddMilliseconds(i),
        Type = AuditEventTypes.DbSessionBind,
        Code = AuditEventKinds.DbSessionBind.Code,
        Cluster = "prod",
        User = "alice@example.com",
        Roles = ["developer", "dba"],
        ClientAddr = "10.1.2.3:51234",
        SessionId = "7f9c2ba4-e88f-11ec-8ea0-0242ac120002",
        ServerId = i % 2 == 0 ? null : "proxy-1",
        AgentId = "agent-eu-1",
        Success = i % 3 != 0,
        Error = i % 3 == 0 ? "ERROR 42P01: relation \"x\" does not exist" : null,
        DbService = "orders",
        DbProtocol = "postgres",
        DbUser = "app",
        DbName = "shop",
        DbLabels = new Dictionary<string, string> { ["env"] = "prod", ["region"] = "eu" },
        AccessRequestIds = ["req-1"],
        Query = "SELECT * FROM orders WHERE note = 'é😀\t\"q\"' -- " + i.ToString(System.Globalization.CultureInfo.InvariantCulture),
        QueryLength = 40,
        QuerySha256 = new string('a', 64),
        Truncated = i % 2 == 0 ? true : null,
        StatementName = "s" + (i % 3).ToString(System.Globalization.CultureInfo.InvariantCulture),
        StatementId = i,
        Parameters = [i.ToString(System.Globalization.CultureInfo.InvariantCulture), null, "2025-01-01"],
        TruncatedParameters = [new AuditTruncatedValue(0, 5000, new string('b', 64))],
        Rows = i,
        BytesIn = 10,
        BytesOut = long.MaxValue - i,
        DurationUs = 812,
        EndReason = "client_closed",
        Details = new Dictionary<string, string> { ["portal"] = "", ["statement"] = "01J" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        Source = "agent-eu-1/spool",
        Seq = i,
    };
}
