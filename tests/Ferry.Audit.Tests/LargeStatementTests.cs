using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Ferry.Audit.Tests;

/// <summary>Statements of any size reach the audit: capture, event size bound, and a spool that survives a bad record.</summary>
public sealed class LargeStatementTests
{
    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    [Fact]
    public void Capture_SplitAtEveryOffset_KeepsThePrefixAndHashesAndCountsTheWhole()
    {
        byte[] value = Encoding.UTF8.GetBytes("SELECT 'é€😀' /* " + new string('x', 300) + " */");
        for (int split = 0; split <= value.Length; split++)
        {
            using var capture = new StatementCapture(64, value.Length);
            capture.Append(value.AsSpan(0, split));
            capture.Append(value.AsSpan(split));
            var e = new AuditEvent();
            capture.ApplyTo(e);

            Assert.Equal(value.Length, e.QueryLength);
            Assert.Equal(Hex(value), e.QuerySha256);
            Assert.True(e.Truncated);
            Assert.Equal(Encoding.UTF8.GetString(value.AsSpan(0, 64)), e.Query);
        }
    }

    [Fact]
    public void Capture_CutInsideACharacter_LeavesThatCharacterOut()
    {
        byte[] value = Encoding.UTF8.GetBytes("ab😀cd"); // the emoji is 4 bytes at offsets 2..5
        for (int limit = 3; limit <= 5; limit++)
        {
            var e = new AuditEvent();
            StatementCapture.Describe(e, value, limit);
            Assert.Equal("ab", e.Query);
        }

        var whole = new AuditEvent();
        StatementCapture.Describe(whole, value, 6);
        Assert.Equal("ab😀", whole.Query);
    }

    [Fact]
    public void Describe_ShortStatement_IsWholeWithLengthAndHashAndNoTruncatedField()
    {
        byte[] value = "SELECT 1"u8.ToArray();
        var e = new AuditEvent();
        StatementCapture.Describe(e, new ReadOnlySequence<byte>(value), 1024);

        Assert.Equal("SELECT 1", e.Query);
        Assert.Equal(8, e.QueryLength);
        Assert.Equal(Hex(value), e.QuerySha256);
        Assert.Null(e.Truncated);
        Assert.DoesNotContain("\"truncated\"", JsonSerializer.Serialize(e, AuditJsonContext.Default.AuditEvent), StringComparison.Ordinal);
    }

    [Fact]
    public void Spool_EventLargerThanTheRecordLimit_IsWrittenShrunkNotDropped()
    {
        using var dir = new TempDirectory();
        using var spool = AuditSpool.Open(dir.Path);
        var big = Events.Query(1, query: new string('\u0001', RecordFraming.MaxPayload / 4)); // JSON escapes each as \u0001: 6 bytes
        spool.AppendDurable([Events.Query(0), big, Events.Query(2)]);

        SpoolBatch batch = spool.Read(spool.AckedPosition, 1000);

        Assert.Equal(3, batch.Count);
        Assert.Equal(0, spool.CorruptRecordsSkipped);
        AuditEvent shrunk = batch.Events[1];
        Assert.Equal(big.Id, shrunk.Id);
        Assert.Null(shrunk.Query);
        Assert.True(shrunk.Truncated);
        Assert.Equal(RecordFraming.MaxPayload / 4, shrunk.QueryLength);
        Assert.Contains("exceeded the record limit", shrunk.Error, StringComparison.Ordinal);
    }

    /// <summary>[good × 3][bad][good × 2] in one segment: the bad record is skipped and counted, the later ones are read.</summary>
    [Theory]
    [InlineData("crc")]
    [InlineData("oversize-length")]
    [InlineData("length-past-end")]
    public void SpoolReader_BadRecordFollowedByGoodOnes_SkipsOnlyTheBadRecord(string damage)
    {
        using var dir = new TempDirectory();
        List<AuditEvent> before = Events.Many(3);
        List<AuditEvent> after = Events.Many(2, 100);
        using (var spool = AuditSpool.Open(dir.Path))
        {
            spool.AppendDurable(before);
        }

        string segment = Directory.GetFiles(dir.Path, "spool-*.log").Single();
        using (var f = new FileStream(segment, FileMode.Append))
        {
            var bad = new ArrayBufferWriter<byte>();
            RecordFraming.Append(bad, JsonSerializer.SerializeToUtf8Bytes(Events.Query(50), AuditJsonContext.Default.AuditEvent));
            byte[] record = bad.WrittenSpan.ToArray();
            switch (damage)
            {
                case "crc":
                    record[^2] ^= 0xFF;
                    break;
                case "oversize-length":
                    BinaryPrimitives.WriteUInt32LittleEndian(record, RecordFraming.MaxPayload + 1u);
                    break;
                default:
                    BinaryPrimitives.WriteUInt32LittleEndian(record, 1u << 30);
                    break;
            }

            f.Write(record);
            var good = new ArrayBufferWriter<byte>();
            foreach (AuditEvent e in after)
            {
                RecordFraming.Append(good, JsonSerializer.SerializeToUtf8Bytes(e, AuditJsonContext.Default.AuditEvent));
            }

            f.Write(good.WrittenSpan);
        }

        using var reopened = AuditSpool.Open(dir.Path);
        SpoolBatch batch = reopened.Read(reopened.AckedPosition, 1000);

        Assert.Equal(before.Concat(after).Select(e => e.Id), batch.Events.Select(e => e.Id));
        Assert.True(reopened.CorruptRecordsSkipped >= 1);
        Assert.Equal(0, reopened.RecoveredTornBytes);
    }

    [Fact]
    public void SpoolReader_BadRecordInAClosedSegment_LaterRecordsAndSegmentsAreRead()
    {
        using var dir = new TempDirectory();
        var options = new AuditSpoolOptions { MaxSegmentBytes = 4096, Fsync = false };
        List<AuditEvent> events = Events.Many(60);
        using (var spool = AuditSpool.Open(dir.Path, options))
        {
            foreach (AuditEvent e in events)
            {
                spool.AppendDurable([e]);
            }
        }

        string first = Directory.GetFiles(dir.Path, "spool-*.log").Order(StringComparer.Ordinal).First();
        byte[] data = File.ReadAllBytes(first);
        int offset = 8; // past the magic: damage the CRC of the first record
        data[offset + 4] ^= 0xFF;
        File.WriteAllBytes(first, data);

        using var reopened = AuditSpool.Open(dir.Path, options);
        var ids = new List<string>();
        SpoolPosition pos = reopened.AckedPosition;
        for (int i = 0; i < 100; i++)
        {
            SpoolBatch batch = reopened.Read(pos, 7);
            ids.AddRange(batch.Events.Select(e => e.Id));
            if (batch.Next == pos)
            {
                break;
            }

            pos = batch.Next;
        }

        Assert.Equal(events.Skip(1).Select(e => e.Id), ids);
        Assert.Equal(1, reopened.CorruptRecordsSkipped);
    }

    [Fact]
    public void StatementHashes_OneAfterAnother_OnOneThreadOrMany_AreEachTheirOwn()
    {
        // The hash context is reused per thread: each statement's hash must be of that statement alone.
        byte[][] statements = [.. Enumerable.Range(0, 50).Select(i => Encoding.UTF8.GetBytes(new string('s', i) + "SELECT " + i))];
        foreach (byte[] statement in statements)
        {
            Assert.Equal(Hex(statement), StatementCapture.Sha256Hex(statement));
        }

        Assert.Equal(Hex([]), StatementCapture.Sha256Hex(ReadOnlySpan<byte>.Empty));
        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            byte[] statement = statements[i % statements.Length];
            Assert.Equal(Hex(statement), StatementCapture.Sha256Hex(statement));
        });
    }
}
