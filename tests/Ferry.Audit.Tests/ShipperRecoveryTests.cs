using Microsoft.Extensions.Logging;

namespace Ferry.Audit.Tests;

public sealed class ShipperRecoveryTests
{
    [Fact]
    public async Task Shipper_WhenTheSpoolFailsUnderIt_LogsCountsRetriesAndShipsEverythingAfter()
    {
        using var dir = new TempDirectory();
        // The cursor written on every acknowledgement, so each one meets the failure.
        using var spool = AuditSpool.Open(dir.Sub("spool"), new AuditSpoolOptions { AckPersistInterval = TimeSpan.Zero });
        using var store = AuditStore.Open(dir.Sub("store"), new AuditStoreOptions { Fsync = false });
        var log = new CapturingLogger();
        var shipper = new AuditShipper(spool, new AuditStoreUploader(store), new AuditShipperOptions
        {
            InitialBackoff = TimeSpan.FromMilliseconds(1),
            MaxBackoff = TimeSpan.FromMilliseconds(20),
            PollInterval = TimeSpan.FromMilliseconds(20),
            Linger = TimeSpan.Zero,
            Log = log,
        });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Task run = shipper.RunAsync(cts.Token);

        // The I/O error: the ack cursor cannot be written (a directory sits where its temporary file goes), as
        // when the disk is full or the process is out of file descriptors.
        string blocker = Path.Combine(spool.Directory, "cursor.json.tmp");
        Directory.CreateDirectory(blocker);
        spool.AppendDurable(Events.Many(10));
        while (shipper.Failures < 3 && !run.IsCompleted && !cts.IsCancellationRequested)
        {
            await Task.Delay(5, cts.Token);
        }

        Assert.False(run.IsCompleted, $"the shipper stopped: {run.Exception?.InnerException}");
        Assert.True(shipper.Failures >= 3);
        Assert.Contains(log.Entries, e => e.Event == "AuditSpoolFailed" && e.Level == LogLevel.Error && e.Message.Contains("cursor.json.tmp", StringComparison.Ordinal));

        // The disk recovers: what was written before and after arrives, each event once (the first batch was
        // uploaded before its ack failed, and is sent again).
        Directory.Delete(blocker);
        spool.AppendDurable(Events.Many(10, 10));
        // (The recovery is logged once the ack after the upload succeeds, which can be just after the store has all 20.)
        while ((store.Count < 20 || !log.Entries.Any(e => e.Event == "AuditSpoolRecovered")) && !run.IsCompleted && !cts.IsCancellationRequested)
        {
            await Task.Delay(5, cts.Token);
        }

        Assert.False(run.IsCompleted, $"the shipper stopped: {run.Exception?.InnerException}");
        Assert.Equal(20, store.Count);
        Assert.Equal(20, store.Search(new AuditQuery { Limit = 0 }).Select(e => e.Id).Distinct().Count());
        Assert.True(store.DuplicatesDropped >= 10);
        Assert.Contains(log.Entries, e => e.Event == "AuditSpoolRecovered");
        await cts.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Store_AfterAFailedWrite_ReopensItselfOnTheNextAppend()
    {
        using var dir = new TempDirectory();
        using var store = AuditStore.Open(dir.Sub("store"), new AuditStoreOptions { Fsync = false });
        store.Append(Events.Many(5));

        // A write fails: an event the serialiser cannot write (a NaN-like failure stands in for a full disk).
        var broken = Events.Query(100);
        broken.Details = new ThrowingDictionary();
        Assert.ThrowsAny<Exception>(() => store.Append([Events.Query(99), broken]));

        // The next append does not refuse for good: the store reopens from its files and carries on.
        Assert.Equal(5, store.Append(Events.Many(5, 5)));
        Assert.Equal(10, store.Count);
        Assert.True(store.Verify().Ok, store.Verify().ToString());
        await Task.CompletedTask;
    }

    private sealed class ThrowingDictionary : Dictionary<string, string>, IReadOnlyDictionary<string, string>
    {
        IEnumerator<KeyValuePair<string, string>> IEnumerable<KeyValuePair<string, string>>.GetEnumerator() => throw new IOException("no space left on device");
    }
}
