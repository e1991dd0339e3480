using Microsoft.Extensions.Hosting;

namespace Ferry.Auth.Server;

/// <summary>
/// Keeps the embedded web host from taking over SIGINT/SIGTERM (the default console lifetime would): the process
/// hosting <see cref="AuthServer"/> owns signals and calls <see cref="AuthServer.StopAsync"/> itself.
/// </summary>
internal sealed class EmbeddedHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
