namespace Ferry.Audit;

public sealed partial class AuditStore
{
    /// <summary>
    /// Seal order (each step crash-safe): write seg-N.zst (temp, fsync, rename), write seg-N.idx,
    /// add N to the checkpoint, delete seg-N.log, start seg-(N+1).log. If seg-N.log is still
    /// there on open, the seal is redone from it.
    /// </summary>
    private void SealUnsynchronized(DateTimeOffset now)
    {
        if (_builder.Count == 0)
        {
            return;
        }

        long n = _builder.Segment;
        _active.Dispose();
        StoreFiles.CompressAtomic(StoreFiles.Log(_dir, n), StoreFiles.Sealed(_dir, n), _options.CompressionLevel, _options.Fsync);

        SegmentIndex idx = _builder.Build(now);
        StoreFiles.WriteIndex(_dir, idx, _options.Fsync);
        _checkpoint.Segments.Add(new CheckpointSegment { Segment = n, Count = idx.Count, LastHash = idx.LastHash });
        _checkpoint.UpdatedAt = now;
        StoreFiles.WriteCheckpoint(_dir, _checkpoint, _options.CheckpointKey, _options.Fsync);
        File.Delete(StoreFiles.Log(_dir, n));

        _sealed[n] = idx;
        _dedupe.ForgetBefore(now - _options.DedupeWindow);
        StartActiveUnsynchronized(n + 1, now);
    }

    /// <summary>
    /// Drops the oldest sealed segments whose newest event is older than the retention period
    /// (only a prefix, so the kept chain stays contiguous). The checkpoint is rewritten first with
    /// the new anchor (first kept segment, hash of the last dropped event), then files are deleted;
    /// a crash in between leaves files below the anchor, which open deletes.
    /// </summary>
    private int ApplyRetentionUnsynchronized(DateTimeOffset now)
    {
        if (_options.Retention is not { } retention)
        {
            return 0;
        }

        DateTimeOffset cutoff = now - retention;
        var dropped = new List<SegmentIndex>();
        foreach (SegmentIndex idx in _sealed.Values)
        {
            if (idx.MaxTime >= cutoff)
            {
                break;
            }

            dropped.Add(idx);
        }

        if (dropped.Count == 0)
        {
            return 0;
        }

        SegmentIndex last = dropped[^1];
        long events = dropped.Sum(d => (long)d.Count);
        _checkpoint.AnchorSegment = last.Segment + 1;
        _checkpoint.AnchorHash = last.LastHash;
        _checkpoint.DroppedEvents += events;
        _checkpoint.Segments.RemoveAll(s => s.Segment <= last.Segment);
        _checkpoint.UpdatedAt = now;
        StoreFiles.WriteCheckpoint(_dir, _checkpoint, _options.CheckpointKey, _options.Fsync);
        foreach (SegmentIndex idx in dropped)
        {
            File.Delete(StoreFiles.Sealed(_dir, idx.Segment));
            File.Delete(StoreFiles.Index(_dir, idx.Segment));
            _sealed.Remove(idx.Segment);
        }

        _dedupe.ForgetBefore(now - _options.DedupeWindow);

        AuditEvent removed = AuditEventKinds.AuditRetention.NewEvent(now);
        removed.Details = new Dictionary<string, string>
        {
            ["segments"] = $"{dropped[0].Segment}-{last.Segment}",
            ["events"] = events.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["anchor_segment"] = _checkpoint.AnchorSegment.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["anchor_hash"] = last.LastHash,
        };
        AppendUnsynchronized([removed], null, now);
        return dropped.Count;
    }
}
