namespace Ferry.Audit.Tests;

/// <summary>
/// The spool's tail cache: the shipper reads what this opening just appended from memory, falls back to the file for
/// what the cache no longer holds, and the cache is released once shipped.
/// </summary>
public sealed class SpoolTailTests
{
    [Fact]
    public void Read_WhatThisOpeningAppended_ComesFromMemory_NotFromTheFileChangedUnderIt()
    {
        using var dir = new TempDirectory();
        using var spool = AuditSpool.Open(dir.Path);
        List<AuditEvent> events = Events.Many(20);
        spool.AppendDurable(events);

        // The records are overwritten in place after they were written (an edit, a bad disk): the shipper still
        // sends what the relays emitted.
        string segment = Directory.GetFiles(dir.Path, "spool-*.log").Single();
        using (var f = new FileStream(segment, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            f.Position = AuditSpool.Magic.Length;
            f.Write(new byte[f.Length - AuditSpool.Magic.Length]);
        }

        SpoolBatch batch = spool.Read(spool.AckedPosition, 1000);

        Assert.Equal(events.Select(e => e.Id), batch.Events.Select(e => e.Id));
        Assert.Equal(0, spool.CorruptRecordsSkipped);
        Assert.Equal(new FileInfo(segment).Length, batch.Next.Offset);
    }

    [Fact]
    public void Read_BehindByMoreThanTheCache_ReadsTheOldestFromTheFile_AndAckReleasesTheCache()
    {
        using var dir = new TempDirectory();
        using var spool = AuditSpool.Open(dir.Path, new AuditSpoolOptions { MaxSegmentBytes = 64L * 1024 * 1024, Fsync = false });
        var written = new List<string>();
        for (int i = 0; written.Count < 12_000; i++)
        {
            List<AuditEvent> batch = Events.Many(7, i * 7);
            spool.Append(batch, sync: false);
            written.AddRange(batch.Select(e => e.Id));
        }

        Assert.Equal(1, spool.SegmentCount);
        Assert.True(spool.PendingBytes > AuditSpool.TailMaxBytes, $"{spool.PendingBytes} bytes pending");
        Assert.InRange(spool.TailCacheBytes, 1, AuditSpool.TailMaxBytes);

        var read = new List<string>();
        SpoolPosition pos = spool.AckedPosition;
        for (int calls = 0; calls < 100; calls++)
        {
            SpoolBatch batch = spool.Read(pos, 1000);
            if (batch.Count == 0)
            {
                break;
            }

            read.AddRange(batch.Events.Select(e => e.Id));
            pos = batch.Next;
        }

        Assert.Equal(written, read);
        spool.Ack(pos);
        Assert.Equal(0, spool.TailCacheBytes);
        Assert.Equal(0, spool.PendingBytes);
    }

    [Fact]
    public void Read_TheEndOfASegmentClosedBeforeTheShipperGotThere_ComesFromMemory_AndAckPastItReleasesIt()
    {
        using var dir = new TempDirectory();
        using var spool = AuditSpool.Open(dir.Path, new AuditSpoolOptions { MaxSegmentBytes = 16 * 1024, Fsync = false });
        var written = new List<string>();
        for (int i = 0; spool.SegmentCount < 3; i++)
        {
            List<AuditEvent> batch = Events.Many(3, i * 3);
            spool.Append(batch, sync: false);
            written.AddRange(batch.Select(e => e.Id));
        }

        // The closed segments are overwritten in place (an edit, a bad disk): what this opening wrote is still sent as
        // the relays emitted it, from the cache, not read back from the files.
        foreach (string segment in Directory.GetFiles(dir.Path, "spool-*.log").Order().SkipLast(1))
        {
            using var f = new FileStream(segment, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
            f.Position = AuditSpool.Magic.Length;
            f.Write(new byte[f.Length - AuditSpool.Magic.Length]);
        }

        var read = new List<string>();
        SpoolPosition pos = spool.AckedPosition;
        for (int calls = 0; calls < 100; calls++)
        {
            SpoolBatch batch = spool.Read(pos, 7);
            if (batch.Count == 0 && batch.Next <= pos)
            {
                break;
            }

            read.AddRange(batch.Events.Select(e => e.Id));
            pos = batch.Next;
            if (pos.Segment > 1)
            {
                spool.Ack(pos); // past the first segment: its slabs go
            }
        }

        Assert.Equal(written, read);
        Assert.Equal(0, spool.CorruptRecordsSkipped);
        Assert.Equal(0, spool.TailCacheBytes);
    }

    [Fact]
    public void Read_AcrossSegmentSwitches_KeepsOrderAndLosesNothing()
    {
        using var dir = new TempDirectory();
        using var spool = AuditSpool.Open(dir.Path, new AuditSpoolOptions { MaxSegmentBytes = 4096 });
        var written = new List<string>();
        var read = new List<string>();
        SpoolPosition pos = spool.AckedPosition;
        for (int i = 0; i < 40; i++)
        {
            List<AuditEvent> batch = Events.Many(3, i * 3);
            spool.AppendDurable(batch);
            written.AddRange(batch.Select(e => e.Id));
            if (i % 3 == 0)
            {
                SpoolBatch got = spool.Read(pos, 5);
                read.AddRange(got.Events.Select(e => e.Id));
                pos = got.Next;
                spool.Ack(pos);
            }
        }

        Assert.True(spool.SegmentCount > 1 || read.Count > 0);
        for (int calls = 0; calls < 200; calls++)
        {
            SpoolBatch got = spool.Read(pos, 5);
            if (got.Count == 0 && got.Next <= pos)
            {
                break;
            }

            read.AddRange(got.Events.Select(e => e.Id));
            pos = got.Next;
            spool.Ack(pos);
        }

        Assert.Equal(written, read);
    }
}
