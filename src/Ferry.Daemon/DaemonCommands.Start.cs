using System.CommandLine;
using System.Runtime.InteropServices;
using Ferry.Agent.Hosting;
using Ferry.Auth.Hosting;
using Ferry.Config;
using Ferry.Contracts;
using Ferry.Proxy.Hosting;
using Ferry.Diagnostics;

namespace Ferry.Daemon;

internal static partial class DaemonCommands
{
    private static void AddStart(RootCommand root)
    {
        var config = new Option<FileInfo?>("--config", "-c") { Description = "Path of the YAML configuration file." };
        var allInOne = new Option<bool>("--all-in-one") { Description = "Run the auth service, a proxy and (if configured) an agent in this one process. Without it, the sections present decide: auth (with its proxy unless proxy.enabled is false), or a standalone proxy and/or agent that join with a token." };
        root.Options.Add(config);
        root.Options.Add(allInOne);
        static void Log(string message) => Console.Error.WriteLine($"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {message}");
        root.SetAction(async (parse, ct) =>
        {
            var file = parse.GetValue(config);
            if (FerryConfigParser.LoadForCommand(file?.FullName, "write one with `ferryd configure > ferry.yaml`", Console.Error) is not { } cfg)
            {
                return 2;
            }
            FerryLogging.UseConsole(FerryLogging.ParseLevel(cfg.LogLevel.ToString()));
            if (!DiagnosticsHost.TryStart(cfg.DiagAddr, Console.Error, out var diagnostics))
            {
                return 1;
            }
            await using var diagnosticsScope = diagnostics;
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
            var running = new List<IAsyncDisposable>();
            try
            {
                if (parse.GetValue(allInOne) || cfg.Auth is not null)
                {
                    // The auth service, with a proxy and (when configured) an agent beside it in this process.
                    var host = await AllInOneHost.StartAsync(cfg, Log, stop.Token);
                    running.Add(host);
                    Console.Out.WriteLine(host.ProxyEndPoint is { } proxyEndPoint
                        ? $"ferryd ready: auth {host.AuthEndPoint}, proxy {proxyEndPoint}, data {cfg.DataDir}"
                        : $"ferryd ready: auth {host.AuthEndPoint} (auth only: proxy.enabled is false), data {cfg.DataDir}");
                }
                else if (cfg.Proxy is null && cfg.Agent is null)
                {
                    Console.Error.WriteLine($"error: {file!.Name} enables no role: add an auth, proxy or agent section (or use --all-in-one)");
                    return 2;
                }
                else
                {
                    if (cfg.Proxy is { } proxySection)
                    {
                        var proxy = await StandaloneProxy.StartAsync(cfg, Log, stop.Token);
                        running.Add(proxy);
                        Console.Out.WriteLine($"ferryd ready: proxy {proxy.EndPoint} (auth at {proxySection.AuthAddr}), data {cfg.DataDir}");
                    }
                    if (cfg.Agent is not null)
                    {
                        // Beside a proxy in one data dir: the agent keeps its state under agent/.
                        var agent = AgentRoleOptions.FromConfig(cfg, Path.Combine(cfg.DataDir, "agent"), Log);
                        running.Add(await StandaloneAgent.StartAsync(agent, stop.Token));
                        Console.Out.WriteLine($"ferryd ready: agent {agent.HostId}, dialing {string.Join(", ", agent.Proxies)}");
                    }
                }
            }
            catch (Exception ex) when (ex is AuthApiException or ConfigException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                foreach (var r in running)
                {
                    await r.DisposeAsync();
                }
                return 1;
            }
            Console.Out.Flush();
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
                // SIGTERM/SIGINT: the normal way to stop ferryd; the roles are disposed below.
            }
            foreach (var r in running)
            {
                await r.DisposeAsync();
            }
            Console.Out.WriteLine("ferryd stopping");
            return 0;
        });
    }
}
