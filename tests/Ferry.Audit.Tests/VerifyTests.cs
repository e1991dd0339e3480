namespace Ferry.Audit.Tests;

public sealed class VerifyTests
{
    private static readonly AuditStoreOptions Small = new() { Fsync = false, MaxSegmentBytes = 8 * 1024, MaxSegmentAge = TimeSpan.FromDays(365) };

    /// <summary>A store with several sealed segments plus an active one; returns the events in order.</summary>
    private static List<AuditEvent> Fill(string dir, AuditStoreOptions? options = null)
    {
        using var store = AuditStore.Open(dir, options ?? Small);
        List<AuditEvent> events = Events.Many(200);
        foreach (AuditEvent[] chunk in events.Chunk(10))
        {
            store.Append(chunk);
        }

        Assert.True(store.SealedSegmentCount >= 3, $"sealed: {store.SealedSegmentCount}");
        return events;
    }

    [Fact]
    public void Verify_OnAnIntactStore_PassesAndCountsEveryEvent()
    {
        using var dir = new TempDirectory();
        Fill(dir.Path);

        AuditVerifyResult result = AuditVerifier.Verify(dir.Path);

        Assert.True(result.Ok, result.ToString());
        Assert.Equal(200, result.EventsChecked);
        Assert.Null(result.FirstBroken);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Verify_AfterAByteOfAnEventInACompressedSegmentIsEdited_NamesThatEvent(bool crcFixedToo)
    {
        using var dir = new TempDirectory();
        Fill(dir.Path);
        string? id = null;
        SegmentSurgery.Rewrite(dir.Path, 2, records =>
        {
            id = SegmentSurgery.IdOf(records[3]);
            records[3] = SegmentSurgery.Edit(records[3], "SELECT", "DELETE", crcFixedToo);
            return records;
        });

        AuditVerifyResult result = AuditVerifier.Verify(dir.Path);

        Assert.False(result.Ok);
        Assert.Equal(2, result.FirstBroken!.Segment);
        Assert.Equal(3, result.FirstBroken.Index);
        Assert.Equal(id, result.FirstBroken.EventId);
    }

    [Fact]
    public void Verify_AfterAnEventIsDeleted_NamesTheEventThatFollowedIt()
    {
        using var dir = new TempDirectory();
        Fill(dir.Path);
        string? next = null;
        SegmentSurgery.Rewrite(dir.Path, 2, records =>
        {
            next = SegmentSurgery.IdOf(records[6]);
            records.RemoveAt(5);
            return records;
        });

        AuditVerifyResult result = AuditVerifier.Verify(dir.Path);

        Assert.False(result.Ok);
        Assert.Equal((2L, 5, next), (result.FirstBroken!.Segment, result.FirstBroken.Index, result.FirstBroken.EventId));
    }

    [Fact]
    public void Verify_AfterTheLastEventOfASealedSegmentIsDeleted_ReportsTheShortSegment()
    {
        using var dir = new TempDirectory();
        Fill(dir.Path);
        SegmentSurgery.Rewrite(dir.Path, 1, records => records[..^1]);

        AuditVerifyResult result = AuditVerifier.Verify(dir.Path);

        Assert.False(result.Ok);
        Assert.Equal(1, result.FirstBroken!.Segment);
    }

    [Fact]
    public void Verify_AfterTwoEventsAreSwapped_NamesTheFirstSwappedPosition()
    {
        using var dir = new TempDirectory();
        Fill(dir.Path);
        string? moved = null;
        SegmentSurgery.Rewrite(dir.Path, 3, records =>
        {
            (records[2], records[7]) = (records[7], records[2]);
            moved = SegmentSurgery.IdOf(records[2]);
            return records;
        });

        AuditVerifyResult result = AuditVerifier.Verify(dir.Path);

        Assert.False(result.Ok);
        Assert.Equal((3L, 2, moved), (result.FirstBroken!.Segment, result.FirstBroken.Index, result.FirstBroken.EventId));
    }

    [Fact]
    public void Verify_AfterAWholeSealedSegmentIsDeleted_NamesTheMissingSegment()
    {
        using var dir = new TempDirectory();
        Fill(dir.Path);
        File.Delete(Path.Combine(dir.Path, "seg-0000000002.zst"));

        AuditVerifyResult result = AuditVerifier.Verify(dir.Path);

        Assert.False(result.Ok);
        Assert.Equal(2, result.FirstBroken!.Segment);
    }

    [Fact]
    public void Verify_WhenTheChainIsRecomputedAfterAnEdit_IsCaughtByTheCheckpoint()
    {
        using var dir = new TempDirectory();
        Fill(dir.Path);
        SegmentSurgery.Rewrite(dir.Path, 2, records =>
        {
            records.RemoveAt(0);
            return RechainFrom(dir.Path, records);
        });

        AuditVerifyResult result = AuditVerifier.Verify(dir.Path);

        Assert.False(result.Ok);
        Assert.Equal(2, result.FirstBroken!.Segment);
        Assert.Contains("checkpoint", result.FirstBroken.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_WithAKey_RejectsAnEditedCheckpoint()
    {
        using var dir = new TempDirectory();
        byte[] key = [1, 2, 3, 4, 5, 6, 7, 8];
        Fill(dir.Path, new AuditStoreOptions { Fsync = false, MaxSegmentBytes = 8 * 1024, MaxSegmentAge = TimeSpan.FromDays(365), CheckpointKey = key });
        Assert.True(AuditVerifier.Verify(dir.Path, key).Ok);
        string cp = Path.Combine(dir.Path, "checkpoint.json");
        string text = File.ReadAllText(cp);
        string edited = text.Replace("\"dropped_events\": 0", "\"dropped_events\": 1", StringComparison.Ordinal);
        Assert.NotEqual(text, edited);
        File.WriteAllText(cp, edited);

        AuditVerifyResult result = AuditVerifier.Verify(dir.Path, key);

        Assert.False(result.Ok);
        Assert.Equal(-1, result.FirstBroken!.Segment);
    }

    /// <summary>Recomputes every hash of a segment (starting from the previous segment's last hash), as a careful attacker would.</summary>
    private static List<byte[]> RechainFrom(string dir, List<byte[]> records)
    {
        SegmentIndex prevIndex = StoreFiles.ReadIndex(dir, 1)!;
        byte[] prev = Convert.FromHexString(prevIndex.LastHash);
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var result = new List<byte[]>();
        foreach (byte[] r in records)
        {
            byte[] copy = (byte[])r.Clone();
            StoreFiles.ChainHash(sha, prev, copy.AsSpan(40), copy.AsSpan(8, 32));
            prev = copy.AsSpan(8, 32).ToArray();
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(4), Crc32C.Compute(copy.AsSpan(8)));
            result.Add(copy);
        }

        return result;
    }
}
