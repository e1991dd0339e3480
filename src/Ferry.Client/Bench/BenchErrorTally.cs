namespace Ferry.Client.Bench;

/// <summary>One client's errors by code, the first message of each kind kept; at most <see cref="MaxKinds"/> kinds (then <c>other</c>).</summary>
internal sealed class BenchErrorTally
{
    public const int MaxKinds = 64;
    public const int MaxMessageLength = 512;

    public Dictionary<string, (long Count, string FirstMessage)> Kinds { get; } = new(StringComparer.Ordinal);

    public long Total { get; private set; }

    public void Add(string code, string message)
    {
        Total++;
        if (!Kinds.ContainsKey(code) && Kinds.Count >= MaxKinds)
        {
            code = "other";
        }

        Kinds[code] = Kinds.TryGetValue(code, out var seen)
            ? (seen.Count + 1, seen.FirstMessage)
            : (1, message.Length > MaxMessageLength ? message[..MaxMessageLength] : message);
    }

    public void Add(BenchErrorTally other)
    {
        foreach (var (code, (count, message)) in other.Kinds)
        {
            Kinds[code] = Kinds.TryGetValue(code, out var seen) ? (seen.Count + count, seen.FirstMessage) : (count, message);
        }

        Total += other.Total;
    }
}
