using Ferry.Contracts;

namespace Ferry.Proxy.Hosting;

/// <summary>
/// A standalone proxy's report of its agents' inventory to the auth service (<c>POST /v1/inventory</c>, for
/// <c>ferry db ls</c>): on every change (debounced) and at least every third of the report's TTL, so a proxy
/// that dies drops out of the listing. The report also carries <c>proxy.tunnel_addr</c>: the auth service lists the
/// proxy to agents (agent mesh) while its reports keep coming.
/// </summary>
public sealed class InventoryReporter(AuthApiClient api, AgentRegistry agents, Action<string> log, string? tunnelAddr = null)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);

    public async Task RunAsync(CancellationToken ct)
    {
        using var changed = new SemaphoreSlim(0);
        void OnChanged() => changed.Release();
        agents.Changed += OnChanged;
        try
        {
            var failing = false;
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    await api.ReportInventoryAsync(new InventoryReport { Databases = InventoryEntries.From(agents), TtlSeconds = (int)Ttl.TotalSeconds, TunnelAddr = tunnelAddr }, ct).ConfigureAwait(false);
                    failing = false;
                }
                catch (AuthApiException e)
                {
                    if (!failing)
                    {
                        log($"cannot report the inventory to the auth service: {e.Message}");
                    }
                    failing = true;
                }
                await changed.WaitAsync(Ttl / 3, ct).ConfigureAwait(false);
                await Task.Delay(200, ct).ConfigureAwait(false);
                while (changed.CurrentCount > 0)
                {
                    await changed.WaitAsync(ct).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            agents.Changed -= OnChanged;
        }
    }
}
