namespace Ferry.Audit.Tests;

public sealed class DedupeMemoryTests
{
    private static AuditStoreOptions Options(int maxSources = 65_536, int maxIds = 65_536) => new()
    {
        Fsync = false,
        MaxSegmentBytes = 256 * 1024,
        MaxSegmentAge = TimeSpan.FromDays(365),
        MaxDedupeSources = maxSources,
        MaxDedupeIds = maxIds,
    };

    private static List<AuditEvent> FromSource(string source, int n, int from = 0)
    {
        List<AuditEvent> events = Events.Many(n, from);
        for (int i = 0; i < n; i++)
        {
            events[i].Source = source;
            events[i].Seq = from + i + 1;
        }

        return events;
    }

    [Fact]
    public void Store_RemembersOneNumberPerSource_NotOneIdPerEvent()
    {
        using var dir = new TempDirectory();
        using var store = AuditStore.Open(dir.Path, Options());
        const int PerSource = 25_000;
        for (int batch = 0; batch < PerSource / 500; batch++)
        {
            foreach (string source in (string[])["a", "b", "c", "d"])
            {
                store.Append(FromSource(source, 500, batch * 500));
            }

            // The duplicate check stays the same size however many events went through.
            Assert.Equal((4, 0), store.DedupeSize);
        }

        Assert.Equal(4 * PerSource, store.Count);
        Assert.True(store.SealedSegmentCount > 10);
    }

    [Fact]
    public void Store_WithoutSources_RemembersABoundedNumberOfIds()
    {
        using var dir = new TempDirectory();
        using var store = AuditStore.Open(dir.Path, Options(maxIds: 1000));
        List<AuditEvent> last = [];
        for (int batch = 0; batch < 50; batch++)
        {
            last = Events.Many(1000, batch * 1000);
            store.Append(last);
            Assert.True(store.DedupeSize.Ids <= 1000, $"ids remembered: {store.DedupeSize.Ids}");
        }

        Assert.Equal(50_000, store.Count);

        // Within that bound a re-sent batch is still dropped.
        Assert.Equal(0, store.Append(last));
    }

    [Fact]
    public void Store_ManyMoreSourcesThanItRemembers_LosesNothingAndStaysBounded()
    {
        using var dir = new TempDirectory();
        using var store = AuditStore.Open(dir.Path, Options(maxSources: 64));
        for (int s = 0; s < 1000; s++)
        {
            Assert.Equal(3, store.Append(FromSource("s" + s, 3)));
            Assert.True(store.DedupeSize.Sources <= 65, $"sources remembered: {store.DedupeSize.Sources}");
        }

        Assert.Equal(3000, store.Count);
    }

    [Fact]
    public void Store_ResentRanges_AreDroppedExactlyOnce_AcrossSealingAndReopening()
    {
        using var dir = new TempDirectory();
        List<AuditEvent> first = FromSource("spool-1", 2000);
        using (var store = AuditStore.Open(dir.Path, Options()))
        {
            Assert.Equal(2000, store.Append(first));
            store.Seal();
            Assert.Equal(0, store.Append(first[1500..]));
            Assert.Equal(500, store.Append(FromSource("spool-1", 500, 2000)));
        }

        // Reopened: the marks come back from the sealed segments' indexes and the active segment.
        using var reopened = AuditStore.Open(dir.Path, Options());
        Assert.Equal(0, reopened.Append(first[..100]));
        Assert.Equal(0, reopened.Append(FromSource("spool-1", 500, 2000)));
        Assert.Equal(1, reopened.Append(FromSource("spool-1", 1, 2500)));
        Assert.Equal(2501, reopened.Count);
        Assert.Equal(2501, reopened.Search(new AuditQuery { Limit = 0 }).Select(e => e.Id).Distinct().Count());
    }

    [Fact]
    public async Task SpoolThroughShipper_StampsSourceAndSequence_AndTheStoreKeepsOneMarkPerSpool()
    {
        using var dir = new TempDirectory();
        using var store = AuditStore.Open(dir.Sub("store"), Options());
        for (int run = 0; run < 3; run++)
        {
            using var spool = AuditSpool.Open(dir.Sub("spool"));
            spool.AppendDurable(Events.Many(300, run * 300));
            await new AuditShipper(spool, new AuditStoreUploader(store)).DrainAsync(CancellationToken.None);
        }

        IReadOnlyList<AuditEvent> stored = store.Search(new AuditQuery { Limit = 0 });
        Assert.Equal(900, stored.Count);
        Assert.Equal(3, stored.Select(e => e.Source).Distinct().Count());
        Assert.All(stored.GroupBy(e => e.Source), g => Assert.Equal(Enumerable.Range(1, 300).Select(i => (long?)i), g.Select(e => e.Seq).Order()));
        Assert.Equal((3, 0), store.DedupeSize);
    }
}
