namespace Ferry.EndToEnd.Tests;

/// <summary>One running cluster shared by the tests of a class.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public FerryCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await FerryCluster.StartAsync();

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>A cluster whose proxy allows few connections per source address, so a test can reach the cap quickly.</summary>
public sealed class ConnectionCapClusterFixture : IAsyncLifetime
{
    /// <summary><c>proxy.max_connections_per_source</c> of this cluster.</summary>
    public const int PerSourceCap = 50;

    public FerryCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await FerryCluster.StartAsync(proxyOptions: $"max_connections_per_source: {PerSourceCap}");

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}
