using System.Globalization;
using System.Text.Json;

namespace Ferry.Audit;

public sealed partial class AuditSpool
{
    private void Recover()
    {
        string cursorPath = Path.Combine(_directory, CursorFile);
        if (File.Exists(cursorPath))
        {
            SpoolCursor? cursor = JsonSerializer.Deserialize(File.ReadAllBytes(cursorPath), InternalJsonContext.Default.SpoolCursor);
            if (cursor is not null)
            {
                _acked = new SpoolPosition(cursor.Segment, cursor.Offset);
                _persistedAck = _acked;
            }
        }

        foreach (string path in System.IO.Directory.EnumerateFiles(_directory, "spool-*.log"))
        {
            string name = Path.GetFileNameWithoutExtension(path);
            if (long.TryParse(name.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out long n))
            {
                if (n < _acked.Segment)
                {
                    File.Delete(path);
                }
                else
                {
                    _segments.Add(n);
                }
            }
        }

        if (_segments.Count == 0)
        {
            StartSegmentUnsynchronized(Math.Max(1, _acked.Segment));
            return;
        }

        long last = _segments.Max;
        string lastPath = SegmentPath(last);
        byte[] data = File.ReadAllBytes(lastPath);
        long validEnd = ScanValidEnd(data);
        if (validEnd < 0)
        {
            // The header itself is torn: the crash came right after the file was created.
            RecoveredTornBytes = data.Length;
            _segments.Remove(last);
            File.Delete(lastPath);
            StartSegmentUnsynchronized(last);
            return;
        }

        _active = new FileStream(lastPath, FileMode.Open, FileAccess.Write, FileShare.Read, bufferSize: 0);
        if (validEnd < data.Length)
        {
            RecoveredTornBytes = data.Length - validEnd;
            _active.SetLength(validEnd);
            _active.Flush(flushToDisk: true);
        }

        _active.Position = validEnd;
        _activeSegment = last;
        _activeLength = validEnd;
    }

    /// <summary>
    /// Offset just past the last valid record, or -1 when the file header is missing. A bad record followed by valid
    /// ones is kept (the reader skips it and counts it): only a tail with no valid record after it is torn.
    /// </summary>
    internal static long ScanValidEnd(ReadOnlySpan<byte> data)
    {
        if (data.Length < Magic.Length || !data[..Magic.Length].SequenceEqual(Magic))
        {
            return -1;
        }

        int offset = Magic.Length;
        int validEnd = offset;
        while (offset < data.Length)
        {
            if (RecordFraming.TryRead(data[offset..], out ReadOnlySpan<byte> payload, out _))
            {
                offset += RecordFraming.HeaderSize + payload.Length;
                validEnd = offset;
                continue;
            }

            int next = NextWholeRecord(data, offset + 1);
            if (next < 0)
            {
                break;
            }

            offset = next;
        }

        return validEnd;
    }

    /// <summary>The first offset from <paramref name="from"/> where a whole, CRC-valid record with a JSON object payload starts; -1 when none.</summary>
    private static int NextWholeRecord(ReadOnlySpan<byte> data, int from)
    {
        for (int i = from; i + RecordFraming.HeaderSize < data.Length; i++)
        {
            if (data[i + RecordFraming.HeaderSize] == (byte)'{' && RecordFraming.TryRead(data[i..], out _, out _))
            {
                return i;
            }
        }

        return -1;
    }

    private void StartSegmentUnsynchronized(long segment)
    {
        _active?.Dispose();
        var stream = Ferry.Text.OwnerOnlyFiles.Open(SegmentPath(segment), FileMode.Create, FileAccess.Write, FileShare.Read);
        stream.Write(Magic);
        if (_options.Fsync)
        {
            stream.Flush(flushToDisk: true);
        }

        _active = stream;
        _activeSegment = segment;
        _activeLength = Magic.Length;
        _segments.Add(segment);
    }
}
