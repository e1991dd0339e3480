namespace Ferry.Audit.Tests;

public sealed class ShipperTests
{
    private static readonly AuditShipperOptions Fast = new()
    {
        MaxBatch = 64,
        InitialBackoff = TimeSpan.FromMilliseconds(1),
        MaxBackoff = TimeSpan.FromMilliseconds(5),
        PollInterval = TimeSpan.FromMilliseconds(20),
    };

    [Fact]
    public async Task Shipper_WhileUploaderFails_RetriesThenDeliversEverythingExactlyOnceToTheStore()
    {
        using var dir = new TempDirectory();
        using var spool = AuditSpool.Open(dir.Sub("spool"));
        using var store = AuditStore.Open(dir.Sub("store"), new AuditStoreOptions { Fsync = false });
        var uploader = new FlakyUploader(new AuditStoreUploader(store)) { FailuresLeft = 5 };
        var shipper = new AuditShipper(spool, uploader, Fast);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Task run = shipper.RunAsync(cts.Token);

        // Relaying goes on while the auth service is down.
        await using (var sink = new SpoolingAuditSink(spool))
        {
            foreach (AuditEvent e in Events.Many(1000))
            {
                sink.Emit(e);
            }

            await sink.FlushAsync(cts.Token);
        }

        while (store.Count < 1000 && !cts.IsCancellationRequested)
        {
            await Task.Delay(10, cts.Token);
        }

        await cts.CancelAsync();
        await run;
        Assert.Equal(5, shipper.Failures);
        Assert.Equal(1000, store.Count);
        Assert.Equal(1000, store.Search(new AuditQuery { Limit = 0 }).Select(e => e.Id).Distinct().Count());
    }

    [Fact]
    public async Task Shipper_WhenAckIsLostAfterUpload_ResendsAndTheStoreDropsTheDuplicates()
    {
        using var dir = new TempDirectory();
        using var store = AuditStore.Open(dir.Sub("store"), new AuditStoreOptions { Fsync = false });
        using (var spool = AuditSpool.Open(dir.Sub("spool")))
        {
            spool.AppendDurable(Events.Many(300));

            // The upload reaches the store, then the connection dies before the reply: not acked.
            var uploader = new FlakyUploader(new AuditStoreUploader(store)) { FailAfterUploadLeft = 2 };
            await new AuditShipper(spool, uploader, Fast).DrainAsync(CancellationToken.None);
        }

        // Process restart: the ack cursor survives, nothing is re-sent twice more.
        using (var spool = AuditSpool.Open(dir.Sub("spool")))
        {
            spool.AppendDurable(Events.Many(50, 300));
            long sent = await new AuditShipper(spool, new AuditStoreUploader(store), Fast).DrainAsync(CancellationToken.None);
            Assert.Equal(50, sent);
        }

        Assert.Equal(350, store.Count);
        Assert.True(store.DuplicatesDropped >= 2 * 64, $"duplicates dropped: {store.DuplicatesDropped}");
    }

    private sealed class FlakyUploader(IAuditUploader inner) : IAuditUploader
    {
        public int FailuresLeft { get; set; }

        public int FailAfterUploadLeft { get; set; }

        public async Task UploadAsync(AuditBatch batch, CancellationToken ct)
        {
            if (FailuresLeft > 0)
            {
                FailuresLeft--;
                throw new HttpRequestException("auth service unavailable");
            }

            await inner.UploadAsync(batch, ct);
            if (FailAfterUploadLeft > 0)
            {
                FailAfterUploadLeft--;
                throw new IOException("connection reset after upload");
            }
        }
    }
}
