using System.CommandLine;
using System.Runtime.InteropServices;
using Ferry.Agent.Hosting;
using Ferry.AgentHost;
using Ferry.Config;
using Ferry.Contracts;
using Ferry.Diagnostics;
using Ferry.Hosting;

InlineSocketCompletions.Enable();
TlsIdleSweepReporting.Enable();
IdleCompaction.Enable();

var root = new RootCommand("""
    ferry-agent: the Ferry database agent. It dials out to the proxies and serves the databases next to it.

    Examples:
      ferry-agent --config agent.yaml
      ferry-agent check --config agent.yaml
    """);
var runConfig = new Option<FileInfo?>("--config", "-c") { Description = "Path of the YAML configuration file (data_dir and the agent section)." };
root.Options.Add(runConfig);
var diagAddr = new Option<string?>("--diag-addr") { Description = "Serve /metrics, /healthz and /readyz on this IP:port (overrides diag_addr in the configuration file)." };
root.Options.Add(diagAddr);
root.SetAction(async (parse, ct) =>
{
    var file = parse.GetValue(runConfig);
    if (FerryConfigParser.LoadForCommand(file?.FullName, "see `ferryd configure` for the agent section", Console.Error) is not { } config)
    {
        return 2;
    }
    if (config.Agent is not { } agent)
    {
        Console.Error.WriteLine($"error: {file!.Name} has no agent section");
        return 2;
    }
    FerryLogging.UseConsole(FerryLogging.ParseLevel(config.LogLevel.ToString()));
    if (!DiagnosticsHost.TryStart(parse.GetValue(diagAddr) ?? config.DiagAddr, Console.Error, out var diagnostics))
    {
        return 1;
    }
    await using var diagnosticsScope = diagnostics;
    using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
    using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
    using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
    var options = AgentRoleOptions.FromConfig(config, config.DataDir, Log);
    StandaloneAgent running;
    try
    {
        running = await StandaloneAgent.StartAsync(options, stop.Token);
    }
    catch (Exception ex) when (ex is AuthApiException or ConfigException or IOException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"error: {ex.Message}");
        return 1;
    }
    await using (running)
    {
        Console.Out.WriteLine($"ferry-agent ready: {options.HostId}, {agent.Databases.Count} databases, dialing {string.Join(", ", agent.Proxies)}");
        Console.Out.Flush();
        var startupPages = StartupPages.ReleaseAfterFirstTunnelAsync(running.Tunnels, Log, stop.Token);
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
            // SIGTERM/SIGINT: the normal way to stop ferry-agent; the agent is disposed below.
        }
        await startupPages;
        Console.Out.WriteLine("ferry-agent stopping");
    }
    return 0;
});

var configOption = new Option<FileInfo>("--config", "-c") { Description = "Path of the YAML configuration file (its agent section).", Required = true };
var check = new Command("check", "Validate the agent section of a configuration file.");
check.Options.Add(configOption);
check.SetAction(parse =>
{
    var file = parse.GetValue(configOption)!;
    try
    {
        var config = FerryConfigParser.Load(file.FullName);
        if (config.Agent is null)
        {
            Console.Error.WriteLine($"error: {file.Name} has no agent section");
            return 2;
        }
        Console.Out.WriteLine($"{file.Name}: OK: {config.Agent.Databases.Count} databases, {config.Agent.Proxies.Count} proxies");
        return 0;
    }
    catch (ConfigException ex)
    {
        Console.Error.WriteLine($"error: {ex.Message}");
        return 2;
    }
});
root.Subcommands.Add(check);
return await root.Parse(args).InvokeAsync();

static void Log(string message)
{
    Console.Error.WriteLine($"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {message}");
}
