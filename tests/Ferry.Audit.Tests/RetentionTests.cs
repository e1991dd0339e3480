namespace Ferry.Audit.Tests;

public sealed class RetentionTests
{
    [Fact]
    public void Retention_DropsOldSegments_AndTheChainStillVerifiesFromTheAnchor()
    {
        using var dir = new TempDirectory();
        var time = new ManualClock(Events.T0);
        byte[] key = [9, 8, 7];
        var options = new AuditStoreOptions
        {
            Fsync = false,
            MaxSegmentBytes = 4 * 1024,
            MaxSegmentAge = TimeSpan.FromDays(365),
            Retention = TimeSpan.FromDays(30),
            CheckpointKey = key,
            Time = time,
        };
        using (var store = AuditStore.Open(dir.Path, options))
        {
            // 100 events on day 0, then 100 on day 40.
            store.Append([.. Enumerable.Range(0, 100).Select(i => Events.Query(i, time: Events.T0.AddSeconds(i)))]);
            store.Seal();
            store.Append([.. Enumerable.Range(100, 100).Select(i => Events.Query(i, time: Events.T0.AddDays(40).AddSeconds(i)))]);
            int before = store.SealedSegmentCount;

            time.Now = Events.T0.AddDays(41);
            store.Maintain();

            Assert.True(store.SealedSegmentCount < before);
            Assert.Empty(store.Search(new AuditQuery { Until = Events.T0.AddDays(1), Type = AuditEventTypes.DbSessionQuery }));
            Assert.Equal(100, store.Search(new AuditQuery { Type = AuditEventTypes.DbSessionQuery, Limit = 0 }).Count);
            Assert.Single(store.Search(new AuditQuery { Type = AuditEventTypes.AuditRetention }));
            Assert.True(store.Verify().Ok, store.Verify().ToString());
        }

        Assert.Empty(Directory.GetFiles(dir.Path, "seg-0000000001.*"));
        AuditVerifyResult result = AuditVerifier.Verify(dir.Path, key);
        Assert.True(result.Ok, result.ToString());

        // And it keeps working after a reopen.
        using var reopened = AuditStore.Open(dir.Path, options);
        reopened.Append([Events.Query(1000, time: time.Now)]);
        reopened.Seal();
        Assert.True(reopened.Verify().Ok);
    }

    [Fact]
    public void Retention_WhenTheFirstKeptSegmentIsTamperedWith_StillNamesIt()
    {
        using var dir = new TempDirectory();
        var time = new ManualClock(Events.T0);
        var options = new AuditStoreOptions { Fsync = false, MaxSegmentBytes = 2 * 1024, MaxSegmentAge = TimeSpan.FromDays(365), Retention = TimeSpan.FromDays(30), Time = time };
        long firstKept;
        using (var store = AuditStore.Open(dir.Path, options))
        {
            store.Append([.. Enumerable.Range(0, 50).Select(i => Events.Query(i, time: Events.T0.AddSeconds(i)))]);
            store.Seal();
            store.Append([.. Enumerable.Range(50, 50).Select(i => Events.Query(i, time: Events.T0.AddDays(40).AddSeconds(i)))]);
            store.Seal();
            time.Now = Events.T0.AddDays(41);
            store.Maintain();
            firstKept = StoreFiles.List(dir.Path, ".zst").Min();
        }

        SegmentSurgery.Rewrite(dir.Path, firstKept, records =>
        {
            records.RemoveAt(0);
            return records;
        });

        AuditVerifyResult result = AuditVerifier.Verify(dir.Path);
        Assert.False(result.Ok);
        Assert.Equal((firstKept, 0), (result.FirstBroken!.Segment, result.FirstBroken.Index));
    }
}
