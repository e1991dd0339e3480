using System.Collections.Concurrent;

namespace Ferry.Proxy;

/// <summary>
/// Keeps a flood from writing one audit event (and one info log line) per connection: the first
/// occurrence of a key (reason, protocol, source address) in a window is reported at once; later
/// ones in the same window are only counted, and reported as one summary (with their count) when
/// the window has passed — on the key's next occurrence or on <see cref="Flush"/>, which the proxy
/// calls every window. At most <see cref="MaxKeys"/> keys are tracked; beyond that new keys fall
/// into one shared overflow key, so memory stays bounded whatever the number of sources.
/// </summary>
internal sealed class AuditAggregator(TimeProvider time, TimeSpan window)
{
    public const int MaxKeys = 10_000;

    /// <summary>The source address recorded on the shared key once <see cref="MaxKeys"/> is reached.</summary>
    public const string OverflowSource = "*";

    private readonly ConcurrentDictionary<AggregateKey, Entry> _entries = new();

    public TimeSpan Window => window;

    /// <summary>
    /// Notes one occurrence. Returns true when it must be reported now; <paramref name="suppressed"/> is then
    /// how many occurrences of the key since the previous report were only counted (0 the first time).
    /// </summary>
    public bool Occurred(AggregateKey key, out int suppressed)
    {
        if (!_entries.ContainsKey(key) && _entries.Count >= MaxKeys)
        {
            key = key with { Source = OverflowSource, Database = "" };
        }
        var now = time.GetUtcNow();
        var entry = _entries.GetOrAdd(key, static _ => new Entry());
        lock (entry)
        {
            if (entry.Reported is { } at && now - at < window)
            {
                entry.Suppressed++;
                suppressed = 0;
                return false;
            }
            suppressed = entry.Suppressed;
            entry.Suppressed = 0;
            entry.Reported = now;
            return true;
        }
    }

    /// <summary>
    /// The keys whose window has passed with occurrences only counted, with their counts (reset);
    /// forgets keys whose window has passed without any.
    /// </summary>
    public List<(AggregateKey Key, int Count)> Flush()
    {
        var now = time.GetUtcNow();
        var due = new List<(AggregateKey, int)>();
        foreach (var (key, entry) in _entries)
        {
            lock (entry)
            {
                if (entry.Reported is not { } at || now - at < window)
                {
                    continue;
                }
                if (entry.Suppressed > 0)
                {
                    due.Add((key, entry.Suppressed));
                    entry.Suppressed = 0;
                    entry.Reported = now;
                }
                else
                {
                    _entries.TryRemove(new KeyValuePair<AggregateKey, Entry>(key, entry));
                }
            }
        }
        return due;
    }

    public int Count => _entries.Count;

    private sealed class Entry
    {
        public DateTimeOffset? Reported;
        public int Suppressed;
    }
}

/// <summary>What a refusal is aggregated by: its reason word, the protocol (or <c>cancel</c>) and the source address.</summary>
/// <param name="Database">The database the refused session named, when it got that far (a verified certificate's route): refusals for different databases are reported apart.</param>
internal readonly record struct AggregateKey(string Reason, string Protocol, string Source, string Database = "");
