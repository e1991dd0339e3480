namespace Ferry.Audit.Tests;

public sealed class SpoolTests
{
    [Fact]
    public void AppendDurable_ThenRead_ReturnsEventsInOrder()
    {
        using var dir = new TempDirectory();
        using var spool = AuditSpool.Open(dir.Path);
        List<AuditEvent> events = Events.Many(50);

        spool.AppendDurable(events);
        SpoolBatch batch = spool.Read(spool.AckedPosition, 1000);

        Assert.Equal(events.Select(e => e.Id), batch.Events.Select(e => e.Id));
    }

    [Fact]
    public void Reopen_AfterTailTruncatedMidRecord_KeepsEveryEarlierEventAndIgnoresTheTornOne()
    {
        using var dir = new TempDirectory();
        List<AuditEvent> durable = Events.Many(20);
        string segment;
        using (var spool = AuditSpool.Open(dir.Path))
        {
            spool.AppendDurable(durable);
            spool.AppendDurable([Events.Query(999)]);
            segment = Directory.GetFiles(dir.Path, "spool-*.log").Single();
        }

        // Crash while the last record was being written: cut it in the middle.
        long length = new FileInfo(segment).Length;
        using (var f = new FileStream(segment, FileMode.Open))
        {
            f.SetLength(length - 30);
        }

        using var reopened = AuditSpool.Open(dir.Path);
        SpoolBatch batch = reopened.Read(reopened.AckedPosition, 1000);

        Assert.Equal(durable.Select(e => e.Id), batch.Events.Select(e => e.Id));
        Assert.True(reopened.RecoveredTornBytes > 0);

        // New appends go after the last valid record, not after the garbage.
        reopened.AppendDurable([Events.Query(1000)]);
        Assert.Equal(21, reopened.Read(reopened.AckedPosition, 1000).Events.Count);
    }

    [Fact]
    public void Read_RecordWithValidChecksumButNotAJsonObject_IsLeftOutOfTheUploadAndCounted()
    {
        using var dir = new TempDirectory();
        List<AuditEvent> before = Events.Many(3);
        List<AuditEvent> after = Events.Many(2, 100);
        using (var spool = AuditSpool.Open(dir.Path))
        {
            spool.AppendDurable(before);
        }

        // Framed correctly (length and CRC hold), but the payloads are not one JSON object each: an edited
        // file or a bug. Spliced into the upload as they are, any of them would make the auth service refuse
        // every later batch.
        string segment = Directory.GetFiles(dir.Path, "spool-*.log").Single();
        using (var f = new FileStream(segment, FileMode.Append))
        {
            foreach (string bad in new[] { "not json", "[1,2]", "{\"a\":1}{\"b\":2}", "{\"a\":" })
            {
                var framed = new System.Buffers.ArrayBufferWriter<byte>();
                RecordFraming.Append(framed, System.Text.Encoding.UTF8.GetBytes(bad));
                f.Write(framed.WrittenSpan);
            }
        }

        using var reopened = AuditSpool.Open(dir.Path);
        reopened.AppendDurable(after);
        SpoolBatch batch = reopened.Read(reopened.AckedPosition, 1000);

        Assert.Equal(before.Concat(after).Select(e => e.Id), batch.Events.Select(e => e.Id));
        Assert.Equal(5, batch.Count);
        Assert.Equal(4, reopened.CorruptRecordsSkipped);
        using var parsed = System.Text.Json.JsonDocument.Parse(batch.Batch.Json);
        Assert.Equal(5, parsed.RootElement.GetArrayLength());
    }

    [Fact]
    public void Read_NothingDurable_IsAnEmptyJsonArray()
    {
        using var dir = new TempDirectory();
        using var spool = AuditSpool.Open(dir.Path);

        SpoolBatch batch = spool.Read(spool.AckedPosition, 1000);

        Assert.Equal(0, batch.Count);
        Assert.Equal("[]"u8.ToArray(), batch.Batch.Json.ToArray());
    }

    [Fact]
    public void Reopen_AfterGarbageTail_DetectsItByChecksum()
    {
        using var dir = new TempDirectory();
        using (var spool = AuditSpool.Open(dir.Path))
        {
            spool.AppendDurable(Events.Many(5));
        }

        string segment = Directory.GetFiles(dir.Path, "spool-*.log").Single();
        using (var f = new FileStream(segment, FileMode.Append))
        {
            // A plausible header (length 4) followed by bytes whose CRC does not match.
            f.Write([4, 0, 0, 0, 1, 2, 3, 4, 9, 9, 9, 9]);
        }

        using var reopened = AuditSpool.Open(dir.Path);

        Assert.Equal(5, reopened.Read(reopened.AckedPosition, 1000).Events.Count);
        Assert.Equal(12, reopened.RecoveredTornBytes);
    }

    [Fact]
    public void Ack_IsPersistedAcrossReopen_AndFullyAckedSegmentsAreDeleted()
    {
        using var dir = new TempDirectory();
        var options = new AuditSpoolOptions { MaxSegmentBytes = 4096 };
        SpoolPosition next;
        using (var spool = AuditSpool.Open(dir.Path, options))
        {
            for (int i = 0; i < 10; i++)
            {
                spool.AppendDurable(Events.Many(10, i * 10));
            }

            Assert.True(spool.SegmentCount > 2);
            SpoolBatch first = spool.Read(spool.AckedPosition, 60);
            Assert.Equal(60, first.Events.Count);
            spool.Ack(first.Next);
            next = first.Next;
            Assert.Equal(next.Segment, Directory.GetFiles(dir.Path, "spool-*.log").Select(f => long.Parse(Path.GetFileNameWithoutExtension(f)[6..], System.Globalization.CultureInfo.InvariantCulture)).Min());
        }

        using var reopened = AuditSpool.Open(dir.Path, options);
        SpoolBatch rest = reopened.Read(reopened.AckedPosition, 1000);

        Assert.Equal(next, reopened.AckedPosition);
        Assert.Equal(Enumerable.Range(60, 40).Select(i => Events.Query(i).Query), rest.Events.Select(e => e.Query));
    }

    [Fact]
    public void Ack_WithinTheInterval_StaysInMemory_ACrashSendsItAgain_AndACloseWritesIt()
    {
        using var dir = new TempDirectory();
        var options = new AuditSpoolOptions { AckPersistInterval = TimeSpan.FromHours(1) };
        string cursor = Path.Combine(dir.Path, "cursor.json");
        SpoolPosition second;
        using (var spool = AuditSpool.Open(dir.Path, options))
        {
            spool.AppendDurable(Events.Many(30));
            SpoolBatch first = spool.Read(spool.AckedPosition, 10);
            spool.Ack(first.Next); // the first acknowledgement of an opening is written
            byte[] written = File.ReadAllBytes(cursor);
            SpoolBatch next = spool.Read(first.Next, 10);
            spool.Ack(next.Next);
            second = next.Next;

            // In memory: the shipper carries on from it, the file still names the first position.
            Assert.Equal(second, spool.AckedPosition);
            Assert.Equal(written, File.ReadAllBytes(cursor));

            // A crash now (the files as they are, copied before the close): reopening sends the second ten again.
            using var crashDir = new TempDirectory();
            string crashed = crashDir.Sub("spool");
            Directory.CreateDirectory(crashed, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            foreach (string f in Directory.GetFiles(dir.Path))
            {
                File.Copy(f, Path.Combine(crashed, Path.GetFileName(f)));
            }

            using var afterCrash = AuditSpool.Open(crashed, options);
            Assert.Equal(first.Next, afterCrash.AckedPosition);
            Assert.Equal(Enumerable.Range(10, 20).Select(i => Events.Query(i).Query), afterCrash.Read(afterCrash.AckedPosition, 100).Events.Select(e => e.Query));
        }

        // A close writes what was acknowledged: nothing is sent twice after a clean restart.
        using var reopened = AuditSpool.Open(dir.Path, options);
        Assert.Equal(second, reopened.AckedPosition);
        Assert.Equal(Enumerable.Range(20, 10).Select(i => Events.Query(i).Query), reopened.Read(reopened.AckedPosition, 100).Events.Select(e => e.Query));
    }

    [Fact]
    public void Read_BuildsTheNextBatchInTheBufferHandedBack_AndAnIdleReadLetsItGo()
    {
        using var dir = new TempDirectory();
        using var spool = AuditSpool.Open(dir.Path);
        spool.AppendDurable(Events.Many(20));
        SpoolBatch first = spool.Read(spool.AckedPosition, 10);
        string firstJson = System.Text.Encoding.UTF8.GetString(first.Batch.Json.Span);
        spool.Ack(first.Next);
        spool.Recycle(first);

        SpoolBatch second = spool.Read(first.Next, 10);
        Assert.Same(first.Buffer, second.Buffer);
        Assert.Equal(Enumerable.Range(10, 10).Select(i => Events.Query(i).Query), second.Events.Select(e => e.Query));
        Assert.NotEqual(firstJson, System.Text.Encoding.UTF8.GetString(second.Batch.Json.Span));

        // Not handed back: the next read has a buffer of its own.
        spool.AppendDurable(Events.Many(5, 20));
        SpoolBatch third = spool.Read(second.Next, 10);
        Assert.NotSame(second.Buffer, third.Buffer);
        Assert.Equal(5, third.Count);

        // Handed back, then a read that finds nothing: the buffer is dropped, not kept for an idle spool.
        spool.Recycle(third);
        SpoolBatch empty = spool.Read(third.Next, 10);
        Assert.Equal(0, empty.Count);
        spool.AppendDurable(Events.Many(1, 25));
        Assert.NotSame(third.Buffer, spool.Read(third.Next, 10).Buffer);
    }

    [Fact]
    public async Task Sink_EmitThenFlush_MakesEveryEventDurable()
    {
        using var dir = new TempDirectory();
        using var spool = AuditSpool.Open(dir.Path);
        await using (var sink = new SpoolingAuditSink(spool))
        {
            foreach (AuditEvent e in Events.Many(500))
            {
                sink.Emit(e);
            }

            await sink.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(500, sink.Durable);
        }

        Assert.Equal(500, spool.Read(spool.AckedPosition, 10_000).Events.Count);
    }

    [Fact]
    public async Task Sink_Emit_ReturnsWithTheEventInTheSpoolFile_BeforeAnyFsync()
    {
        using var dir = new TempDirectory();
        using var spool = AuditSpool.Open(dir.Path);
        // A commit interval no test waits for: what Emit wrote is readable (in the file) long before it is fsync'd.
        await using var sink = new SpoolingAuditSink(spool, commitInterval: TimeSpan.FromHours(1));
        List<AuditEvent> events = Events.Many(20);
        for (int i = 0; i < events.Count; i++)
        {
            sink.Emit(events[i]);
            Assert.Equal(events.Take(i + 1).Select(e => e.Id), spool.Read(spool.AckedPosition, 1000).Events.Select(e => e.Id));
        }

        Assert.Equal(20, sink.Emitted);
    }

    [Fact]
    public async Task Pass_HoldsItsEventsUntilItEnds_ThenWritesThemTogetherInOrder()
    {
        using var dir = new TempDirectory();
        using var spool = AuditSpool.Open(dir.Path);
        await using var sink = new SpoolingAuditSink(spool);
        List<AuditEvent> events = Events.Many(3);

        AuditPass.Begin();
        foreach (AuditEvent e in events)
        {
            sink.Emit(e);
        }

        Assert.Empty(spool.Read(spool.AckedPosition, 1000).Events);
        AuditPass.End();

        Assert.Equal(events.Select(e => e.Id), spool.Read(spool.AckedPosition, 1000).Events.Select(e => e.Id));
        sink.Emit(Events.Query(100)); // after the pass: written at once again
        Assert.Equal(4, spool.Read(spool.AckedPosition, 1000).Events.Count);
    }

    [Fact]
    public void Append_WritesEachRecordAsTheSerialisedNumberedEvent()
    {
        using var dir = new TempDirectory();
        List<AuditEvent> events = [.. Events.Many(3), Events.Query(7, query: "SELECT '\u00e9\"}' -- \u2028 }")];
        using (var spool = AuditSpool.Open(dir.Path))
        {
            spool.AppendDurable(events);
            spool.AppendDurable([Events.Query(8)]);
            events.Add(spool.Read(spool.AckedPosition, 1000).Events[^1]);
        }

        ReadOnlySpan<byte> data = File.ReadAllBytes(Directory.GetFiles(dir.Path, "spool-*.log").Single()).AsSpan(8);
        for (int i = 0; i < events.Count; i++)
        {
            Assert.True(RecordFraming.TryRead(data, out ReadOnlySpan<byte> payload, out _));
            Assert.Equal((long?)(i + 1), events[i].Seq);
            Assert.Equal(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(events[i], AuditJsonContext.Default.AuditEvent), payload.ToArray());
            data = data[(RecordFraming.HeaderSize + payload.Length)..];
        }

        Assert.True(data.IsEmpty);
    }

    [Fact]
    public async Task Sink_EventsArrivingWhileTheWriterSleepsOrIdles_AreAllWrittenInOrder()
    {
        using var dir = new TempDirectory();
        using var spool = AuditSpool.Open(dir.Path);
        List<AuditEvent> events = Events.Many(200);
        await using (var sink = new SpoolingAuditSink(spool, commitInterval: TimeSpan.FromMilliseconds(50)))
        {
            for (int i = 0; i < events.Count; i++)
            {
                sink.Emit(events[i]);
                if (i % 40 == 39)
                {
                    // Let the writer go idle, then wake it again: no event may wait for a later one.
                    await sink.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
                    Assert.Equal(i + 1, sink.Durable);
                }
            }
        }

        IReadOnlyList<AuditEvent> stored = spool.Read(spool.AckedPosition, 10_000).Events;
        Assert.Equal(events.Select(e => e.Id), stored.Select(e => e.Id));
    }

    [Fact]
    public async Task Sink_ManyThreadsEmitting_KeepEachThreadsOrderAndLoseNothing()
    {
        using var dir = new TempDirectory();
        using var spool = AuditSpool.Open(dir.Path);
        const int threads = 8, perThread = 2000;
        var sink = new SpoolingAuditSink(spool, commitInterval: TimeSpan.FromMilliseconds(1));
        await Task.WhenAll(Enumerable.Range(0, threads).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < perThread; i++)
            {
                sink.Emit(Events.Query(i, user: $"t{t}", query: $"{i}"));
            }
        })));
        await sink.FlushAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(threads * perThread, sink.Durable);
        await sink.DisposeAsync();

        IReadOnlyList<AuditEvent> stored = spool.Read(spool.AckedPosition, 100_000, int.MaxValue).Events;
        Assert.Equal(threads * perThread, stored.Count);
        Assert.Equal(Enumerable.Range(1, threads * perThread).Select(i => (long?)i), stored.Select(e => e.Seq));
        // Every thread's events are in the file in its order.
        foreach (IGrouping<string?, AuditEvent> g in stored.GroupBy(e => e.User))
        {
            Assert.Equal(Enumerable.Range(0, perThread).Select(i => $"{i}"), g.Select(e => e.Query));
        }
    }
}
