using System.Buffers;
using System.Text;

namespace Ferry.Audit.Tests;

/// <summary>
/// What the spool hands the shipper must be an upload the auth service accepts: under its body limit, and made of
/// events it can read. A refused upload is retried, never skipped, so one that can never be accepted would stop
/// every later event of that agent.
/// </summary>
public sealed class SpoolUploadLimitsTests
{
    private const int AuthServiceUploadLimit = 16 * 1024 * 1024;

    [Fact]
    public async Task Shipper_StatementsAtTheirSizeLimit_GoInUploadsTheAuthServiceAccepts_AndAllArrive()
    {
        using var dir = new TempDirectory();
        using var spool = AuditSpool.Open(dir.Path, new AuditSpoolOptions { Fsync = false, MaxSegmentBytes = 256L * 1024 * 1024 });
        string statement = "INSERT INTO t VALUES ('" + new string('x', 64 * 1024 - 26) + "')";
        for (int i = 0; i < 300; i += 10)
        {
            spool.Append([.. Enumerable.Range(i, 10).Select(n => Events.Query(n, query: statement))], sync: false);
        }

        var uploader = new LimitedUploader(AuthServiceUploadLimit);
        var shipper = new AuditShipper(spool, uploader, new AuditShipperOptions { InitialBackoff = TimeSpan.FromMilliseconds(1), MaxBackoff = TimeSpan.FromMilliseconds(5) });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        long sent = await shipper.DrainAsync(cts.Token);

        Assert.Equal(300, sent);
        Assert.Equal(0, uploader.Refused);
        Assert.Equal(Enumerable.Range(0, 300).Select(i => 100L + i), uploader.Received.Select(e => e.DurationUs!.Value));
        Assert.All(uploader.Sizes, size => Assert.InRange(size, 1, new AuditShipperOptions().MaxBatchBytes));
    }

    [Fact]
    public void Read_EventsLargerThanTheByteBudget_ComeOneAtATime_FromMemoryAndFromTheFile()
    {
        using var dir = new TempDirectory();
        List<AuditEvent> written = Events.Many(6);
        using (var first = AuditSpool.Open(dir.Path))
        {
            first.AppendDurable(written[..3]);
        }

        using var spool = AuditSpool.Open(dir.Path); // the first three come from the file, the rest from the tail cache
        spool.AppendDurable(written[3..]);
        var ids = new List<string>();
        SpoolPosition pos = spool.AckedPosition;
        for (int calls = 0; calls < 20; calls++)
        {
            SpoolBatch batch = spool.Read(pos, 1000, maxBytes: 16);
            if (batch.Count == 0)
            {
                break;
            }

            Assert.Equal(1, batch.Count);
            ids.AddRange(batch.Events.Select(e => e.Id));
            pos = batch.Next;
        }

        Assert.Equal(written.Select(e => e.Id), ids);
    }

    [Fact]
    public void Read_RecordFromTheFileThatTheAuthServiceWouldRefuse_IsLeftOutAndCounted()
    {
        using var dir = new TempDirectory();
        List<AuditEvent> before = Events.Many(2);
        using (var spool = AuditSpool.Open(dir.Path))
        {
            spool.AppendDurable(before);
        }

        // Framed correctly and each one JSON object, but not an event the auth service reads (it answers 400 to the
        // whole upload): a wrong type, no id, no type, an unreadable time, a count that is not a number.
        string segment = Directory.GetFiles(dir.Path, "spool-*.log").Single();
        using (var f = new FileStream(segment, FileMode.Append))
        {
            foreach (string bad in new[]
            {
                "{\"id\":5,\"type\":\"db.session.query\"}",
                "{\"type\":\"db.session.query\"}",
                "{\"id\":\"01ARZ3NDEKTSV4RRFFQ69G5FAV\"}",
                "{\"id\":\"01ARZ3NDEKTSV4RRFFQ69G5FAW\",\"type\":\"db.session.query\",\"time\":\"yesterday\"}",
                "{\"id\":\"01ARZ3NDEKTSV4RRFFQ69G5FAX\",\"type\":\"db.session.query\",\"rows\":\"many\"}",
            })
            {
                var framed = new ArrayBufferWriter<byte>();
                RecordFraming.Append(framed, Encoding.UTF8.GetBytes(bad));
                f.Write(framed.WrittenSpan);
            }
        }

        using var reopened = AuditSpool.Open(dir.Path);
        List<AuditEvent> after = Events.Many(2, 100);
        reopened.AppendDurable(after);
        SpoolBatch batch = reopened.Read(reopened.AckedPosition, 1000);

        Assert.Equal(before.Concat(after).Select(e => e.Id), batch.Events.Select(e => e.Id));
        Assert.Equal(5, reopened.CorruptRecordsSkipped);
    }

    /// <summary>Stores what it receives; like the auth service, refuses (throws for) a body over its limit.</summary>
    private sealed class LimitedUploader(int limit) : IAuditUploader
    {
        public List<AuditEvent> Received { get; } = [];

        public List<int> Sizes { get; } = [];

        public int Refused { get; private set; }

        public Task UploadAsync(AuditBatch batch, CancellationToken ct)
        {
            if (batch.Json.Length > limit)
            {
                Refused++;
                throw new HttpRequestException($"413: {batch.Json.Length} bytes");
            }

            Sizes.Add(batch.Json.Length);
            Received.AddRange(batch.Events);
            return Task.CompletedTask;
        }
    }
}
