namespace Ferry.Audit;

public sealed partial class AuditSpool
{
    private IDisposable? _depthMetric;

    /// <summary>
    /// Bytes written to the spool and not yet acknowledged: the rest of the acked segment, every later
    /// closed segment and the active one (<c>ferry_audit_spool_depth_bytes</c>).
    /// </summary>
    public long PendingBytes
    {
        get
        {
            lock (_lock)
            {
                if (_disposed)
                {
                    return 0;
                }
                long pending = 0;
                foreach (long segment in _segments)
                {
                    if (segment < _acked.Segment)
                    {
                        continue;
                    }
                    long length = segment == _activeSegment ? _activeLength : SegmentLength(segment);
                    pending += segment == _acked.Segment ? Math.Max(0, length - _acked.Offset) : length;
                }
                return pending;
            }
        }
    }

    private long SegmentLength(long segment)
    {
        var file = new FileInfo(SegmentPath(segment));
        return file.Exists ? file.Length : 0;
    }
}
