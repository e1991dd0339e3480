using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using Ferry.Agent;
using Ferry.Identity;
using Ferry.Contracts;

namespace Ferry.LoadGen;

/// <summary>
/// N agents in this process, each running the real <see cref="AgentTunnelMesh"/> over the configured proxies, with one
/// real <see cref="AgentTunnelClient"/> per proxy (TLS with an agent host certificate, ALPN ferry-tunnel, MuxSession,
/// heartbeat stream, reconnect with exponential backoff and full jitter).
/// </summary>
internal static class SimulatedAgents
{
    public static async Task<int> RunAsync(Arguments a)
    {
        // One proxy, or several (comma-separated): each simulated agent then runs the agent's own mesh
        // (AgentTunnelMesh, as for `agent.proxies: [A, B]`), one tunnel to every proxy, each with its own backoff.
        var proxies = a.Get("proxy").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => Ferry.Config.Units.TryParseHostPort(p, out var h, out var port) ? (h, port) : throw new ArgumentException($"--proxy: expected host:port, got '{p}'"))
            .ToArray();
        var count = a.GetInt("count", 100);
        var ramp = a.GetInt("ramp-ms", 2);
        var certificate = X509Certificate2.CreateFromPemFile(a.Get("cert"), a.Get("key"));
        // Load the key into a form SslStream can use repeatedly (PEM-loaded ephemeral keys are fine on Linux).
        var hostCa = X509CertificateLoader.LoadCertificate(System.Text.Encoding.ASCII.GetBytes(File.ReadAllText(a.Get("host-ca"))));
        var hostVerifier = new IdentityVerifier(CaKind.Host, [hostCa]);
        var agentId = certificate.GetNameInfo(X509NameType.SimpleName, false);
        var ctx = new AgentContext
        {
            AgentId = agentId,
            ClusterName = "loadgen",
            Authority = new NoAuthority(new IdentityVerifier(CaKind.User, [hostCa])),
            Audit = new DiscardAudit(),
            Databases = new Dictionary<string, AgentDatabase>(StringComparer.Ordinal),
        };
        var heartbeat = new AgentHeartbeat { AgentId = agentId, Version = "loadgen", Databases = [] };
        var interval = TimeSpan.FromSeconds(a.GetInt("heartbeat-seconds", 5));

        using var stop = new CancellationTokenSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        var clients = new List<AgentTunnelClient>(count * proxies.Length);
        var tasks = new List<Task>(count);
        var reporter = Task.Run(() => ReportAsync(clients, proxies.Select(p => $"{p.h}:{p.port}").ToArray(), stop.Token));
        for (var i = 0; i < count && !stop.IsCancellationRequested; i++)
        {
            var mesh = new AgentTunnelMesh(proxies, (h, port, _) =>
                new AgentTunnelClient(ctx, h, port, () => certificate, hostVerifier) { Heartbeat = () => heartbeat, HeartbeatInterval = interval, RequiredForReadiness = false },
                static _ => { });
            lock (clients)
            {
                clients.AddRange(mesh.Tunnels);
            }
            tasks.Add(mesh.RunAsync((client, ct) => client.RunAsync(ct), stop.Token));
            if (ramp > 0)
            {
                await Task.Delay(ramp);
            }
        }
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
        await reporter.ContinueWith(_ => { }, TaskScheduler.Default);
        return 0;
    }

    /// <summary>
    /// Every 100 ms: <c>status UNIX_MS connected=N connects=N</c>, then per proxy in <c>--proxy</c> order
    /// <c>up0=N conn0=N up1=N conn1=N …</c> (tunnels up and connects so far), then <c>last_error=…</c>.
    /// </summary>
    private static async Task ReportAsync(List<AgentTunnelClient> clients, string[] proxies, CancellationToken ct)
    {
        string? lastError = null;
        var up = new int[proxies.Length];
        var connectsPer = new int[proxies.Length];
        var index = proxies.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => x.i, StringComparer.Ordinal);
        var line = new System.Text.StringBuilder();
        while (!ct.IsCancellationRequested)
        {
            int connected = 0, connects = 0;
            Array.Clear(up);
            Array.Clear(connectsPer);
            lock (clients)
            {
                foreach (var c in clients)
                {
                    var i = index[c.Address];
                    var isUp = c.Connected ? 1 : 0;
                    connected += isUp;
                    connects += c.Connects;
                    up[i] += isUp;
                    connectsPer[i] += c.Connects;
                    lastError = c.LastError ?? lastError;
                }
            }
            line.Clear().Append(CultureInfo.InvariantCulture, $"status {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()} connected={connected} connects={connects}");
            for (var i = 0; i < proxies.Length; i++)
            {
                line.Append(CultureInfo.InvariantCulture, $" up{i}={up[i]} conn{i}={connectsPer[i]}");
            }
            line.Append(" last_error=").Append(lastError?.ReplaceLineEndings(" ") ?? "-");
            Console.Out.WriteLine(line.ToString());
            Console.Out.Flush();
            try
            {
                await Task.Delay(100, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
