using Ferry.Testing;

namespace Ferry.EndToEnd.Tests;

/// <summary>Standalone proxies that report a <c>tunnel_addr</c> and standalone agents for the agent-mesh tests.</summary>
public sealed partial class FerryCluster
{
    /// <summary>A standalone proxy (<c>ferryd</c> with only a proxy section) that lists itself to agents at <c>127.0.0.1:port</c>.</summary>
    public sealed class MeshProxy(FerryCluster cluster, string name, int port, string config) : IDisposable
    {
        public int Port => port;

        public ManagedServerProcess? Process { get; private set; }

        public string Log => Process?.Log ?? "";

        /// <summary>Starts it (again, with the same data dir: a restart reuses its stored host certificate).</summary>
        public async Task StartAsync()
        {
            Process?.Dispose();
            Process = await StartFerrydAsync(config, "ferryd ready: proxy", name);
            _ = cluster;
        }

        /// <summary>SIGKILL: the proxy dies without a word.</summary>
        public void Kill() => Process?.Stop(9, TimeSpan.FromSeconds(10));

        public void Dispose() => Process?.Dispose();
    }

    /// <summary>
    /// Configures and starts a standalone proxy with <c>tunnel_addr: 127.0.0.1:port</c>; its <c>auth_addr</c> is the
    /// auth service, or the list <paramref name="authPorts"/> (several auth servers, in that order of preference).
    /// </summary>
    public async Task<MeshProxy> StartMeshProxyAsync(string name, IReadOnlyList<int>? authPorts = null)
    {
        var token = await JoinTokenAsync("proxy");
        var pin = await HostCaPinAsync();
        var port = FreePort.Next();
        var config = Path.Combine(Root, name + ".yaml");
        await File.WriteAllTextAsync(config, $"""
            cluster_name: e2e
            data_dir: {Path.Combine(Root, name + "-data")}
            proxy:
              listen_addr: 127.0.0.1:{port}
              mysql_listen_addr: 127.0.0.1:{FreePort.Next()}
              public_addrs: [127.0.0.1:{port}]
              tunnel_addr: 127.0.0.1:{port}
              auth_addr: [{string.Join(", ", (authPorts ?? [AuthPort]).Select(p => $"127.0.0.1:{p}"))}]
              join_token: {token}
              ca_pin: {pin}
            """);
        var proxy = new MeshProxy(this, name, port, config);
        await proxy.StartAsync();
        return proxy;
    }

    /// <summary>
    /// Starts a <c>ferry-agent</c> with host id <paramref name="hostId"/> that is configured with <paramref name="proxyPort"/>
    /// only and serves <paramref name="database"/> (the fixture's PostgreSQL, <c>env: dev</c>).
    /// </summary>
    public Task<ManagedServerProcess> StartMeshAgentAsync(string hostId, int proxyPort, string database) =>
        StartMeshAgentAsync(hostId, [proxyPort], database);

    /// <summary>The same, configured with every proxy of <paramref name="proxyPorts"/>.</summary>
    public async Task<ManagedServerProcess> StartMeshAgentAsync(string hostId, IReadOnlyList<int> proxyPorts, string database)
    {
        var token = await JoinTokenAsync("agent");
        var pin = await HostCaPinAsync();
        var config = Path.Combine(Root, hostId + ".yaml");
        await File.WriteAllTextAsync(config, $$"""
            cluster_name: e2e
            data_dir: {{Path.Combine(Root, hostId + "-data")}}
            agent:
              proxies: [{{string.Join(", ", proxyPorts.Select(p => $"127.0.0.1:{p}"))}}]
              join_token: {{token}}
              ca_pin: {{pin}}
              host_id: {{hostId}}
              databases:
                - name: {{database}}
                  protocol: postgres
                  uri: 127.0.0.1:{{Postgres.Port}}
                  labels: { env: dev }
            """);
        var agent = ManagedServerProcess.Start(Binaries.FerryAgent, ["--config", config]);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!agent.Log.Contains("ferry-agent ready", StringComparison.Ordinal))
        {
            if (agent.HasExited || DateTime.UtcNow > deadline)
            {
                agent.Dispose();
                throw new InvalidOperationException($"ferry-agent {hostId} did not start:\n{agent.Log}");
            }

            await Task.Delay(50);
        }

        return agent;
    }

    /// <summary>psql's connection string for <paramref name="c"/> through the proxy on <paramref name="port"/>.</summary>
    public string ConnectionString(Credentials c, int port, string user = "alice", string database = "app") =>
        ConnectionString(c, user, database).Replace($"port={ProxyPort} ", $"port={port} ", StringComparison.Ordinal);

    /// <summary>psql through the proxy on <paramref name="port"/>.</summary>
    public Task<(int Code, string Output)> PsqlAsync(Credentials c, int port, string sql, TimeSpan? timeout = null) =>
        ProcessRunner.RunAsync(Path.Combine(PostgresServer.BinDirectory, "psql"),
            [ConnectionString(c, port) + " connect_timeout=5", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql], timeout ?? TimeSpan.FromMinutes(1));
}
