namespace Ferry.Client.Bench;

/// <summary>Where a load test opens its sessions: a database through Ferry, or one directly.</summary>
public interface IBenchTarget
{
    /// <summary><c>postgres</c> or <c>mysql</c>.</summary>
    string Protocol { get; }

    /// <summary>What the report names: <c>pg1 via ferry</c>, <c>127.0.0.1:5432</c>.</summary>
    string Description { get; }

    /// <summary>Opens one session (TCP, TLS, login); a refusal throws.</summary>
    Task<BenchSession> OpenAsync(CancellationToken ct);
}
