using System.Text.Json;

namespace Ferry.Audit;

public sealed partial class AuditStore
{
    /// <summary>
    /// The events of the store in <paramref name="directory"/> in chain order (from the retention anchor on), one
    /// segment at a time, read only: what <c>ferryd admin backend migrate</c> copies into the PostgreSQL table. Reads
    /// without checking hashes, so verify the directory first (<see cref="AuditVerifier.Verify"/>); a torn tail of the
    /// active segment (a crash) ends that segment, as on open. A directory without a checkpoint holds no events.
    /// </summary>
    public static IEnumerable<IReadOnlyList<AuditEvent>> ReadChain(string directory)
    {
        if (!System.IO.Directory.Exists(directory) || StoreFiles.ReadCheckpoint(directory) is not { } checkpoint)
        {
            yield break;
        }

        var segments = new SortedDictionary<long, bool>();
        foreach (long n in StoreFiles.List(directory, ".log"))
        {
            segments[n] = false;
        }

        foreach (long n in StoreFiles.List(directory, ".zst"))
        {
            segments[n] = true; // a sealed copy wins over a log left behind by a crash while sealing
        }

        foreach ((long n, bool isSealed) in segments)
        {
            if (n < checkpoint.AnchorSegment)
            {
                continue;
            }

            var events = new List<AuditEvent>();
            ForEachRecord(StoreFiles.ReadSegment(directory, n, isSealed), (_, json) =>
                events.Add(JsonSerializer.Deserialize(json, AuditJsonContext.Default.AuditEvent)!));
            yield return events;
        }
    }
}
