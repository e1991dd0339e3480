using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using Ferry.Agent;
using Ferry.Identity;
using Ferry.Contracts;

namespace Ferry.LoadGen;

/// <summary>
/// N agents in this process, each running the real <see cref="AgentTunnelClient"/> (TLS with an agent host
/// certificate, ALPN ferry-tunnel, MuxSession, heartbeat stream, reconnect with exponential backoff and full jitter).
/// </summary>
internal static class SimulatedAgents
{
    public static async Task<int> RunAsync(Arguments a)
    {
        var proxy = a.Get("proxy");
        var colon = proxy.LastIndexOf(':');
        var host = proxy[..colon];
        var port = int.Parse(proxy[(colon + 1)..], CultureInfo.InvariantCulture);
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
        var clients = new List<AgentTunnelClient>(count);
        var tasks = new List<Task>(count);
        var reporter = Task.Run(() => ReportAsync(clients, stop.Token));
        for (var i = 0; i < count && !stop.IsCancellationRequested; i++)
        {
            var client = new AgentTunnelClient(ctx, host, port, () => certificate, hostVerifier) { Heartbeat = () => heartbeat, HeartbeatInterval = interval };
            lock (clients)
            {
                clients.Add(client);
            }
            tasks.Add(Task.Run(() => client.RunAsync(stop.Token)));
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

    private static async Task ReportAsync(List<AgentTunnelClient> clients, CancellationToken ct)
    {
        string? lastError = null;
        while (!ct.IsCancellationRequested)
        {
            int connected = 0, connects = 0;
            lock (clients)
            {
                foreach (var c in clients)
                {
                    connected += c.Connected ? 1 : 0;
                    connects += c.Connects;
                    lastError = c.LastError ?? lastError;
                }
            }
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"status {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()} connected={connected} connects={connects} last_error={lastError?.ReplaceLineEndings(" ") ?? "-"}"));
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
