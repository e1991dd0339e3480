namespace Ferry.Audit.Tests;

public sealed class StoreTests
{
    private static AuditStoreOptions Options(TimeProvider? time = null, byte[]? key = null, TimeSpan? retention = null) => new()
    {
        Fsync = false,
        MaxSegmentBytes = 16 * 1024,
        MaxSegmentAge = TimeSpan.FromDays(365),
        Time = time ?? TimeProvider.System,
        CheckpointKey = key,
        Retention = retention,
    };

    [Fact]
    public void Append_SameIdTwice_StoresItOnce()
    {
        using var dir = new TempDirectory();
        using var store = AuditStore.Open(dir.Path, Options());
        List<AuditEvent> events = Events.Many(100);

        int first = store.Append(events);
        int second = store.Append([.. events.Take(30), Events.Query(100)]);

        Assert.Equal(100, first);
        Assert.Equal(1, second);
        Assert.Equal(101, store.Count);
        Assert.Equal(30, store.DuplicatesDropped);
    }

    [Fact]
    public void Append_DuplicateAfterSealAndReopen_IsStillDropped()
    {
        using var dir = new TempDirectory();
        List<AuditEvent> events = Events.Many(300);
        using (var store = AuditStore.Open(dir.Path, Options()))
        {
            store.Append(events);
            Assert.True(store.SealedSegmentCount > 0);
        }

        using var reopened = AuditStore.Open(dir.Path, Options());
        Assert.Equal(0, reopened.Append(events));
        Assert.Equal(300, reopened.Count);
    }

    [Fact]
    public void Reopen_AfterActiveTailTruncatedMidRecord_KeepsEarlierEventsAndVerifies()
    {
        using var dir = new TempDirectory();
        using (var store = AuditStore.Open(dir.Path, Options()))
        {
            store.Append(Events.Many(10));
        }

        string log = Directory.GetFiles(dir.Path, "seg-*.log").Single();
        using (var f = new FileStream(log, FileMode.Open))
        {
            f.SetLength(f.Length - 17);
        }

        using var reopened = AuditStore.Open(dir.Path, Options());
        Assert.Equal(9, reopened.Count);
        Assert.True(reopened.RecoveredTornBytes > 0);
        reopened.Append([Events.Query(50)]);
        Assert.True(reopened.Verify().Ok);
    }

    [Fact]
    public void Seal_CompressesTheSegmentAndWritesIndexAndCheckpoint()
    {
        using var dir = new TempDirectory();
        using var store = AuditStore.Open(dir.Path, Options());
        store.Append(Events.Many(20));

        store.Seal();

        Assert.Single(Directory.GetFiles(dir.Path, "seg-*.zst"));
        Assert.Single(Directory.GetFiles(dir.Path, "seg-*.idx"));
        Assert.Equal(20, store.Search(new AuditQuery()).Count);
        Assert.True(store.Verify().Ok);
    }

    [Fact]
    public void Seal_CompressesTheSegment_IntoOneFrameThatDeclaresItsSize_AndReadsBackTheSameBytes()
    {
        using var dir = new TempDirectory();
        using var store = AuditStore.Open(dir.Path, new AuditStoreOptions { Fsync = false, MaxSegmentBytes = 64L * 1024 * 1024 });
        for (int i = 0; i < 20; i++)
        {
            store.Append(Events.Many(1000, from: i * 1000)); // several MiB: more than one zstd block and window
        }

        string log = Directory.GetFiles(dir.Path, "seg-*.log").Single();
        long segment = long.Parse(Path.GetFileNameWithoutExtension(log)["seg-".Length..], System.Globalization.CultureInfo.InvariantCulture);
        byte[] before = File.ReadAllBytes(log);
        Assert.True(before.Length > 2 * 1024 * 1024, $"segment of {before.Length} bytes");

        store.Seal();

        byte[] compressed = File.ReadAllBytes(Path.Combine(dir.Path, $"seg-{segment:D10}.zst"));
        Assert.Equal((ulong)before.Length, ZstdSharp.Decompressor.GetDecompressedSize(compressed));
        Assert.Equal(before, StoreFiles.ReadSegment(dir.Path, segment, isSealed: true));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
        Assert.Equal(20_000, store.Search(new AuditQuery { Limit = 50_000 }).Count);
        Assert.True(store.Verify().Ok);
    }

    [Fact]
    public void ASegmentCompressedMapped_OrStreamed_IsOneFrameOfTheSameBytes_AndNothingAfterIt()
    {
        using var dir = new TempDirectory();
        string log = Path.Combine(dir.Path, "segment.log");
        using (var f = File.Create(log))
        {
            for (int i = 0; i < 3000; i++)
            {
                f.Write(AuditChain.CanonicalJson(Events.Query(i)));
            }
        }

        byte[] raw = File.ReadAllBytes(log);
        string mapped = Path.Combine(dir.Path, "mapped.zst"), streamed = Path.Combine(dir.Path, "streamed.zst");
        StoreFiles.CompressAtomic(log, mapped, 1, fsync: true);
        StoreFiles.CompressAtomic(log, streamed, 1, fsync: true, streamed: true);

        foreach (string path in (string[])[mapped, streamed])
        {
            byte[] compressed = File.ReadAllBytes(path);
            Assert.Equal((ulong)raw.Length, ZstdSharp.Decompressor.GetDecompressedSize(compressed));
            // One frame and nothing after it (the one-shot frame is written alone, not zstd's whole bound): bytes after the
            // frame would be read as a next frame and refused, and the file would be larger than the segment.
            Assert.True(compressed.Length < raw.Length / 4, $"{path}: {compressed.Length} bytes for {raw.Length}");
            using var d = new ZstdSharp.Decompressor();
            Assert.Equal(raw, d.Unwrap(compressed).ToArray());
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void Maintain_SealsTheActiveSegmentOnceItIsOldEnough()
    {
        using var dir = new TempDirectory();
        var time = new ManualClock(Events.T0);
        var aged = new AuditStoreOptions { Fsync = false, MaxSegmentAge = TimeSpan.FromMinutes(15), Time = time };
        using var store2 = AuditStore.Open(dir.Sub("b"), aged);
        store2.Append(Events.Many(5));

        time.Now = Events.T0.AddMinutes(14);
        store2.Maintain();
        Assert.Equal(0, store2.SealedSegmentCount);

        time.Now = Events.T0.AddMinutes(16);
        store2.Maintain();
        Assert.Equal(1, store2.SealedSegmentCount);
    }
}
