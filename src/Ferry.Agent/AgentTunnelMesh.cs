using Ferry.Contracts;

namespace Ferry.Agent;

/// <summary>
/// The agent mesh: one tunnel to every proxy. The configured proxies (<c>agent.proxies</c>) are the bootstrap and always
/// kept; the proxies the auth service lists (<see cref="Update"/>, from each database registration) are added as they
/// appear and dropped when they leave the list. A listed proxy that a configured address already reaches (the same address,
/// or the same host id in the certificate a configured tunnel was answered with) gets no second tunnel. Each tunnel reconnects on its own with jittered backoff (<see cref="TunnelBackoff"/>).
/// </summary>
public sealed class AgentTunnelMesh : IAsyncDisposable
{
    private readonly Func<string, int, bool, AgentTunnelClient> _create;
    private readonly List<AgentTunnelClient> _bootstrap = [];
    private readonly Dictionary<string, Running> _listed = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly Action<string> _log;
    private IReadOnlyList<ProxyEndpoint> _proxies = [];
    private CancellationToken _stopping;
    private bool _started;
    private bool _disposed;

    /// <summary>
    /// <paramref name="create"/> makes a tunnel client for (host, port, required for readiness); <paramref name="bootstrap"/>
    /// are the configured proxies.
    /// </summary>
    public AgentTunnelMesh(IEnumerable<(string Host, int Port)> bootstrap, Func<string, int, bool, AgentTunnelClient> create, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(bootstrap);
        _create = create ?? throw new ArgumentNullException(nameof(create));
        _log = log ?? throw new ArgumentNullException(nameof(log));
        foreach (var (host, port) in bootstrap)
        {
            var client = create(host, port, true);
            client.Up += _ => Reconcile();
            _bootstrap.Add(client);
        }
    }

    /// <summary>Every tunnel client: the configured ones, then those the mesh added.</summary>
    public IReadOnlyList<AgentTunnelClient> Tunnels
    {
        get
        {
            lock (_lock)
            {
                return [.. _bootstrap, .. _listed.Values.Select(r => r.Client)];
            }
        }
    }

    /// <summary>The host ids of the listed proxies the mesh holds a tunnel client for (not counting the configured ones).</summary>
    public IReadOnlyCollection<string> ListedProxies
    {
        get
        {
            lock (_lock)
            {
                return [.. _listed.Keys];
            }
        }
    }

    /// <summary>Starts the configured tunnels (each with <paramref name="runTunnel"/>), then follows <see cref="Update"/> until stopped.</summary>
    public Task RunAsync(Func<AgentTunnelClient, CancellationToken, Task> runTunnel, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(runTunnel);
        lock (_lock)
        {
            _runTunnel = runTunnel;
            _stopping = ct;
            _started = true;
        }

        Reconcile();
        return Task.WhenAll([.. _bootstrap.Select(c => Task.Run(() => runTunnel(c, ct), CancellationToken.None)), WaitStoppedAsync(ct)]);
    }

    private Func<AgentTunnelClient, CancellationToken, Task>? _runTunnel;

    private static async Task WaitStoppedAsync(CancellationToken ct)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    /// <summary>The auth service's current list of proxies: tunnels to new ones start, those to proxies no longer listed stop.</summary>
    public void Update(IReadOnlyList<ProxyEndpoint> proxies)
    {
        ArgumentNullException.ThrowIfNull(proxies);
        lock (_lock)
        {
            _proxies = [.. proxies];
        }

        Reconcile();
    }

    private void Reconcile()
    {
        var stopped = new List<Running>();
        lock (_lock)
        {
            if (!_started || _disposed || _runTunnel is null)
            {
                return;
            }

            var reachedByConfigured = new HashSet<string>(_bootstrap.Select(b => b.PeerHostId).OfType<string>(), StringComparer.Ordinal);
            var configured = new HashSet<string>(_bootstrap.Select(b => b.Address), StringComparer.OrdinalIgnoreCase);
            var wanted = new Dictionary<string, ProxyEndpoint>(StringComparer.Ordinal);
            foreach (var p in _proxies)
            {
                if (p.HostId.Length > 0 && !reachedByConfigured.Contains(p.HostId) && !configured.Contains(p.Address)
                    && Ferry.Config.Units.TryParseHostPort(p.Address, out _, out _))
                {
                    wanted.TryAdd(p.HostId, p);
                }
            }

            foreach (var (id, running) in _listed.ToArray())
            {
                if (!wanted.TryGetValue(id, out var p) || p.Address != running.Client.Address)
                {
                    _listed.Remove(id);
                    stopped.Add(running);
                }
            }

            foreach (var (id, p) in wanted)
            {
                if (_listed.ContainsKey(id))
                {
                    continue;
                }

                Ferry.Config.Units.TryParseHostPort(p.Address, out var host, out var port);
                var client = _create(host, port, false);
                var stop = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
                var run = _runTunnel;
                var running = new Running(client, stop, Task.Run(() => run(client, stop.Token), CancellationToken.None));
                _listed[id] = running;
                _log($"agent mesh: keeping a tunnel to proxy {id} at {p.Address}");
            }
        }

        foreach (var r in stopped)
        {
            _log($"agent mesh: proxy at {r.Client.Address} is no longer listed (or is reached through a configured address): its tunnel closes");
            r.Stop.Cancel();
            r.Stop.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<Running> running;
        lock (_lock)
        {
            _disposed = true;
            running = [.. _listed.Values];
            _listed.Clear();
        }

        foreach (var r in running)
        {
            await r.Stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await r.Task.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // stopped
            }

            r.Stop.Dispose();
        }
    }

    private sealed record Running(AgentTunnelClient Client, CancellationTokenSource Stop, Task Task);
}
