using System.Security.Cryptography;
using System.Text.Json;

namespace Ferry.Audit;

/// <summary>
/// Verifies a store directory: checkpoint signature (when a key is given), segment numbering
/// contiguous from the checkpoint's anchor, every record's CRC and chain hash
/// (SHA-256(prev || json)) starting from the anchor hash, and each sealed segment ending with
/// the count and hash the checkpoint recorded. Stops at the first break and names it.
/// </summary>
public static class AuditVerifier
{
    /// <summary>Verifies the store in <paramref name="directory"/> (read only; safe on a copy or a stopped store).</summary>
    public static AuditVerifyResult Verify(string directory, byte[]? checkpointKey = null)
    {
        if (!Directory.Exists(directory))
        {
            return Broken(0, 0, new AuditChainBreak(-1, 0, null, $"audit store directory {directory} does not exist"));
        }

        List<long> sealedList = StoreFiles.List(directory, ".zst");
        List<long> logs = StoreFiles.List(directory, ".log");
        StoreCheckpoint? cp = StoreFiles.ReadCheckpoint(directory);
        if (cp is null)
        {
            return sealedList.Count == 0 && logs.Count == 0
                ? new AuditVerifyResult(true, 0, 0, null)
                : Broken(0, 0, new AuditChainBreak(-1, 0, null, "checkpoint.json is missing but segments exist"));
        }

        if (checkpointKey is not null && !StoreFiles.CheckMac(cp, checkpointKey))
        {
            return Broken(0, 0, new AuditChainBreak(-1, 0, null, "checkpoint.json signature is invalid: the checkpoint was edited"));
        }

        var all = new SortedDictionary<long, bool>();
        foreach (long n in sealedList.Where(n => n >= cp.AnchorSegment))
        {
            all[n] = true;
        }

        foreach (long n in logs.Where(n => n >= cp.AnchorSegment && !all.ContainsKey(n)))
        {
            all[n] = false;
        }

        var expectedEnds = cp.Segments.ToDictionary(s => s.Segment);
        foreach (CheckpointSegment s in cp.Segments)
        {
            if (!all.ContainsKey(s.Segment))
            {
                return Broken(0, 0, new AuditChainBreak(s.Segment, 0, null, $"sealed segment {s.Segment} listed in the checkpoint is missing"));
            }
        }

        byte[] prev = Convert.FromHexString(cp.AnchorHash);
        long expectedSegment = cp.AnchorSegment;
        long events = 0;
        int segments = 0;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach ((long n, bool isSealed) in all)
        {
            if (n != expectedSegment)
            {
                return Broken(segments, events, new AuditChainBreak(expectedSegment, 0, null, $"segment {expectedSegment} is missing (next present is {n})"));
            }

            expectedSegment++;
            if (isSealed && !expectedEnds.ContainsKey(n) && n != all.Keys.Max())
            {
                return Broken(segments, events, new AuditChainBreak(n, 0, null, "sealed segment is not in the checkpoint"));
            }

            byte[] data;
            try
            {
                data = StoreFiles.ReadSegment(directory, n, isSealed);
            }
            catch (Exception ex) when (ex is IOException or ZstdSharp.ZstdException)
            {
                return Broken(segments, events, new AuditChainBreak(n, 0, null, $"segment cannot be read: {ex.Message}"));
            }

            AuditChainBreak? br = VerifySegment(n, isSealed, data, sha, prev, expectedEnds.GetValueOrDefault(n), ref events);
            segments++;
            if (br is not null)
            {
                return Broken(segments, events, br);
            }
        }

        return new AuditVerifyResult(true, segments, events, null);
    }

    private static AuditChainBreak? VerifySegment(long n, bool isSealed, byte[] data, IncrementalHash sha, byte[] prev, CheckpointSegment? end, ref long events)
    {
        if (data.Length < StoreFiles.Magic.Length || !data.AsSpan(0, StoreFiles.Magic.Length).SequenceEqual(StoreFiles.Magic))
        {
            return new AuditChainBreak(n, 0, null, "segment header is missing or damaged");
        }

        Span<byte> computed = stackalloc byte[StoreFiles.HashSize];
        int offset = StoreFiles.Magic.Length;
        int index = 0;
        while (true)
        {
            ReadOnlySpan<byte> rest = data.AsSpan(offset);
            if (!RecordFraming.TryRead(rest, out ReadOnlySpan<byte> payload, out RecordStatus status))
            {
                if (status == RecordStatus.End || (status == RecordStatus.Torn && !isSealed))
                {
                    break; // a torn tail of the active segment is a crash, which open cuts off
                }

                return new AuditChainBreak(n, index, TryReadId(rest), status == RecordStatus.Torn
                    ? "record is cut short: the segment was truncated"
                    : "record checksum mismatch: the event bytes were edited");
            }

            if (payload.Length < StoreFiles.HashSize)
            {
                return new AuditChainBreak(n, index, null, "record too short to hold a chain hash");
            }

            ReadOnlySpan<byte> json = payload[StoreFiles.HashSize..];
            StoreFiles.ChainHash(sha, prev, json, computed);
            if (!computed.SequenceEqual(payload[..StoreFiles.HashSize]))
            {
                return new AuditChainBreak(n, index, TryReadIdFromJson(json),
                    "chain hash mismatch: this event was edited, or an event before it was deleted or moved");
            }

            computed.CopyTo(prev);
            offset += RecordFraming.HeaderSize + payload.Length;
            index++;
            events++;
        }

        if (end is not null && (end.Count != index || !string.Equals(end.LastHash, Convert.ToHexStringLower(prev), StringComparison.Ordinal)))
        {
            return new AuditChainBreak(n, Math.Min(index, end.Count), null,
                $"segment ends after {index} events with a different hash than the checkpoint recorded ({end.Count} events): events were removed or the chain was rewritten");
        }

        return null;
    }

    private static string? TryReadId(ReadOnlySpan<byte> record)
    {
        int start = RecordFraming.HeaderSize + StoreFiles.HashSize;
        if (record.Length <= start)
        {
            return null;
        }

        uint length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(record);
        int end = (int)Math.Min((long)record.Length, RecordFraming.HeaderSize + (long)length);
        return end > start ? TryReadIdFromJson(record[start..end]) : null;
    }

    private static string? TryReadIdFromJson(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    return reader.GetString();
                }
            }
        }
        catch (JsonException)
        {
            // A record whose JSON does not parse has no id to report: the caller names it by its position instead.
        }

        return null;
    }

    private static AuditVerifyResult Broken(int segments, long events, AuditChainBreak br) => new(false, segments, events, br);
}
