using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ferry.Contracts;
using Ferry.Identity;
using Ferry.Testing;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// The standalone agent of a cluster started with <c>standaloneAgent: true</c>: the AOT
/// <c>ferry-agent</c> in its own process and data dir, joining through the proxy's port 3080 with a
/// one-time token and the pinned host CA, then tunnelling to the proxy like an agent behind NAT.
/// </summary>
public sealed partial class FerryCluster
{
    private ManagedServerProcess? _agent;
    private string? _agentConfig;

    public bool StandaloneAgent { get; }

    public string AgentDataDir => Path.Combine(Root, "agent-data");

    public string AgentLog => _agent?.Log ?? "";

    public bool AgentRunning => _agent is { HasExited: false };

    private async Task StartAgentAsync(string ferrydConfig)
    {
        var token = await JoinTokenAsync("agent");
        var pin = await HostCaPinAsync();
        // The same databases as the in-process agent would serve; its own data dir; the proxy as its only way in.
        var agentSection = ferrydConfig[ferrydConfig.IndexOf("agent:", StringComparison.Ordinal)..]
            .Replace("  enabled: false\n", $"  proxies: [127.0.0.1:{ProxyPort}]\n  join_token: {token}\n  ca_pin: {pin}\n  host_id: edge-agent-1\n", StringComparison.Ordinal)
            .Replace("  databases:\n", $$"""
                  databases:
                    - name: pgdyn
                      protocol: postgres
                      uri: 127.0.0.1:{{Postgres.Port}}
                      dynamic_labels:
                        - { name: env, command: [sh, -c, "echo staging"], period: 1s }
                    - name: pgdown
                      protocol: postgres
                      uri: 127.0.0.1:1
                      labels: { env: dev }
                    - name: pgdyn-prod
                      protocol: postgres
                      uri: 127.0.0.1:{{Postgres.Port}}
                      dynamic_labels:
                        - { name: env, command: [sh, -c, "echo prod"], period: 1s }

                """, StringComparison.Ordinal);
        _agentConfig = Path.Combine(Root, "agent.yaml");
        await File.WriteAllTextAsync(_agentConfig, $"cluster_name: e2e\ndata_dir: {AgentDataDir}\n{agentSection}");
        await RestartAgentAsync();
    }

    /// <summary>Starts (again) the agent process and waits for it to say it is ready; a restart reuses the stored host certificate.</summary>
    public async Task RestartAgentAsync()
    {
        _agent?.Dispose();
        _agent = ManagedServerProcess.Start(Binaries.FerryAgent, ["--config", _agentConfig!]);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!_agent.Log.Contains("ferry-agent ready", StringComparison.Ordinal))
        {
            if (_agent.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"ferry-agent did not start:\n{_agent.Log}");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>SIGKILL: the agent gets no chance to say goodbye, as when its machine dies.</summary>
    public void KillAgent() => _agent?.Stop(9, TimeSpan.FromSeconds(10));

    private void StopAgent()
    {
        _agent?.Stop(15, TimeSpan.FromSeconds(10));
        _agent?.Dispose();
    }

    /// <summary>Retries <c>SELECT 1</c> until it works; returns how long that took.</summary>
    public async Task<TimeSpan> WaitReachableAsync(Credentials creds, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var (code, output) = await PsqlAsync(creds, "SELECT 1");
            if (code == 0)
            {
                return clock.Elapsed;
            }
            if (clock.Elapsed > limit)
            {
                throw new InvalidOperationException($"pg1 not reachable after {limit}: {output}\nagent:\n{AgentLog}\nferryd:\n{FerrydLog}");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>A certificate for the same key and route as <paramref name="creds"/>, living only <paramref name="ttl"/>.</summary>
    public async Task<Credentials> ShortLivedAsync(Credentials creds, string service, string dbUser, string dbName, TimeSpan ttl)
    {
        using var key = KeyPair.FromPrivateKeyPem(await File.ReadAllTextAsync(creds.KeyPath));
        using var api = Api(creds.Certificate);
        var response = await api.PostAsJsonAsync("/v1/certs/user", new UserCertificateRequest
        {
            PublicKeyPem = key.ExportPublicKeyPem(),
            Route = new RouteRequest { Service = service, Protocol = "postgres", DbUser = dbUser, DbName = dbName },
            TtlSeconds = (long)ttl.TotalSeconds,
        }, AuthApiJsonContext.Default.UserCertificateRequest);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        var issued = JsonSerializer.Deserialize(body, AuthApiJsonContext.Default.UserCertificateResponse)!;
        var dir = Path.Combine(Root, "users", "short-" + Guid.NewGuid().ToString("N")[..8]);
        var (certPath, keyPath) = TestPki.WriteClientFiles(dir, "cert", (issued.CertificatePem, key.ExportPrivateKeyPem()));
        return new Credentials(certPath, keyPath, TlsCertificates.FromPem(issued.CertificatePem, key.ExportPrivateKeyPem()));
    }

    /// <summary>The auth API reached the way clients and agents reach it: through the proxy's port 3080.</summary>
    public HttpClient ApiViaProxy()
    {
        var client = Api();
        client.BaseAddress = new Uri($"https://127.0.0.1:{ProxyPort}");
        return client;
    }

    /// <summary>
    /// Starts a second, standalone proxy (<c>ferryd</c> with only a proxy section: joins the auth
    /// service with a proxy token) and restarts the agent dialing both proxies. Returns the process and its port.
    /// </summary>
    public async Task<(ManagedServerProcess Process, int Port)> StartSecondProxyAsync()
    {
        var token = await JoinTokenAsync("proxy");
        var pin = await HostCaPinAsync();
        var port = FreePort.Next();
        var config = Path.Combine(Root, "proxy2.yaml");
        await File.WriteAllTextAsync(config, $"""
            cluster_name: e2e
            data_dir: {Path.Combine(Root, "proxy2-data")}
            proxy:
              listen_addr: 127.0.0.1:{port}
              mysql_listen_addr: 127.0.0.1:{FreePort.Next()}
              public_addrs: [127.0.0.1:{port}]
              auth_addr: 127.0.0.1:{AuthPort}
              join_token: {token}
              ca_pin: {pin}
            """);
        var proxy = await StartFerrydAsync(config, "ferryd ready: proxy", "the second proxy");
        var agentConfig = await File.ReadAllTextAsync(_agentConfig!);
        // Dial the first proxy and this one (a proxy started by an earlier call is dropped).
        await File.WriteAllTextAsync(_agentConfig!, Regex.Replace(agentConfig, @"(?m)^  proxies: \[.*\]$", $"  proxies: [127.0.0.1:{ProxyPort}, 127.0.0.1:{port}]"));
        KillAgent();
        await RestartAgentAsync();
        return (proxy, port);
    }

    /// <summary>
    /// Starts <c>ferryd</c> with a proxy section and an agent section and no auth section: a standalone proxy and
    /// a standalone agent in one process, each joining with its own token; the agent dials that proxy and serves
    /// <c>pgcombo</c>. <paramref name="maxMessageBytes"/> goes into <c>proxy.max_message_bytes</c>. Returns the process and its port.
    /// </summary>
    public async Task<(ManagedServerProcess Process, int Port)> StartProxyWithAgentAsync(string maxMessageBytes)
    {
        var proxyToken = await JoinTokenAsync("proxy");
        var agentToken = await JoinTokenAsync("agent");
        var pin = await HostCaPinAsync();
        var port = FreePort.Next();
        var config = Path.Combine(Root, "proxy-agent.yaml");
        await File.WriteAllTextAsync(config, $"""
            cluster_name: e2e
            data_dir: {Path.Combine(Root, "proxy-agent-data")}
            proxy:
              listen_addr: 127.0.0.1:{port}
              mysql_listen_addr: 127.0.0.1:{FreePort.Next()}
              public_addrs: [127.0.0.1:{port}]
              auth_addr: 127.0.0.1:{AuthPort}
              join_token: {proxyToken}
              ca_pin: {pin}
              max_message_bytes: {maxMessageBytes}
            agent:
              proxies: [127.0.0.1:{port}]
              join_token: {agentToken}
              ca_pin: {pin}
              host_id: combo-agent
              databases:
                - name: pgcombo
                  protocol: postgres
                  uri: 127.0.0.1:{Postgres.Port}
                  labels:
                    env: dev
            """);
        var process = await StartFerrydAsync(config, "ferryd ready: agent", "ferryd with a proxy and an agent section");
        return (process, port);
    }

    private async Task<string> JoinTokenAsync(string role) =>
        Regex.Match(await AdminAsync("tokens", "add", "--role", role, "--ttl", "10m"), "token: (\\S+)").Groups[1].Value;

    private async Task<string> HostCaPinAsync() =>
        (await AdminAsync("ca", "export", "--type", "host", "--fingerprint")).Trim().Split('\n')[0];

    /// <summary>Starts <c>ferryd --config <paramref name="config"/></c> and waits up to 60 s for <paramref name="readyLine"/> in its log.</summary>
    internal static async Task<ManagedServerProcess> StartFerrydAsync(string config, string readyLine, string what)
    {
        var process = ManagedServerProcess.Start(Binaries.Ferryd, ["--config", config]);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!process.Log.Contains(readyLine, StringComparison.Ordinal))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                process.Dispose();
                throw new InvalidOperationException($"{what} did not start:\n{process.Log}");
            }
            await Task.Delay(50);
        }
        return process;
    }

    /// <summary>SIGKILL to ferryd: the auth service and the first proxy die without a word.</summary>
    public void KillFerryd() => _ferryd?.Stop(9, TimeSpan.FromSeconds(10));

    /// <summary>Starts ferryd again on the same configuration, data dir and ports.</summary>
    public async Task RestartFerrydAsync()
    {
        _ferryd?.Dispose();
        _ferryd = ManagedServerProcess.Start(Binaries.Ferryd, ["--config", Path.Combine(Root, "ferry.yaml"), "--all-in-one"]);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!_ferryd.Log.Contains("ferryd ready", StringComparison.Ordinal))
        {
            if (_ferryd.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"ferryd did not restart:\n{_ferryd.Log}");
            }
            await Task.Delay(50);
        }
    }
}
