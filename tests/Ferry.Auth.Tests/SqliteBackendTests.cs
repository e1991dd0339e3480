using Ferry.Auth.Backend;

namespace Ferry.Auth.Tests;

public sealed class SqliteBackendTests : BackendContractTests, IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    protected override Task<IBackend> OpenAsync(TimeProvider? time = null) => Task.FromResult<IBackend>(SqliteBackend.Open(_dir.Path, time));

    protected override ValueTask<int> SweepAsync(IBackend backend) => ((SqliteBackend)backend).SweepAsync(CancellationToken.None);
}
