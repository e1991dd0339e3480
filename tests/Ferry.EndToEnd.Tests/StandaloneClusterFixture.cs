namespace Ferry.EndToEnd.Tests;

/// <summary>A cluster whose agent is a separate <c>ferry-agent</c> process (joined with a token through the proxy).</summary>
public sealed class StandaloneClusterFixture : IAsyncLifetime
{
    public FerryCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await FerryCluster.StartAsync(standaloneAgent: true);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}
