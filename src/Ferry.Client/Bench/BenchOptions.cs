namespace Ferry.Client.Bench;

/// <summary>What <c>ferry bench</c> runs; <see cref="Validate"/> keeps each within its bound.</summary>
public sealed record BenchOptions
{
    public const int MaxClients = 1024;
    public const int MaxQueryLength = 64 * 1024;
    public const double MaxRate = 1_000_000;
    public static readonly TimeSpan MaxDuration = TimeSpan.FromHours(24);

    public int Clients { get; init; } = 8;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan Warmup { get; init; } = TimeSpan.Zero;

    /// <summary>Transactions per second for all clients together on a fixed schedule (open loop); null: closed loop.</summary>
    public double? Rate { get; init; }

    public string Query { get; init; } = "SELECT 1";

    /// <summary>Each transaction connects, runs the query and closes.</summary>
    public bool ConnectEach { get; init; }

    /// <summary>Null when the options hold; otherwise what is wrong, naming the option.</summary>
    public string? Validate()
    {
        if (Clients is < 1 or > MaxClients)
        {
            return $"--clients must be 1-{MaxClients}";
        }

        if (Duration <= TimeSpan.Zero || Duration > MaxDuration)
        {
            return "--duration must be more than 0 and at most 24h";
        }

        if (Warmup < TimeSpan.Zero || Warmup > MaxDuration)
        {
            return "--warmup must be 0 to 24h";
        }

        if (Rate is { } rate && (double.IsNaN(rate) || rate <= 0 || rate > MaxRate))
        {
            return $"--rate must be more than 0 and at most {MaxRate:0} transactions per second";
        }

        if (string.IsNullOrWhiteSpace(Query))
        {
            return "--query is empty";
        }

        if (Query.Length > MaxQueryLength)
        {
            return $"--query is longer than {MaxQueryLength} characters";
        }

        return null;
    }
}
