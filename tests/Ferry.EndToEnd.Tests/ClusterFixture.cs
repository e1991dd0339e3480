namespace Ferry.EndToEnd.Tests;

/// <summary>One running cluster shared by the tests of a class.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public FerryCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await FerryCluster.StartAsync();

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}
