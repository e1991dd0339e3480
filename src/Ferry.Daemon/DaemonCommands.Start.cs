using System.CommandLine;
using System.Runtime.InteropServices;
using Ferry.Config;

namespace Ferry.Daemon;

internal static partial class DaemonCommands
{
    private static void AddStart(RootCommand root)
    {
        var config = new Option<FileInfo?>("--config", "-c") { Description = "Path of the YAML configuration file." };
        var allInOne = new Option<bool>("--all-in-one") { Description = "Run the auth service, a proxy and an agent in this one process." };
        root.Options.Add(config);
        root.Options.Add(allInOne);
        root.SetAction(async (parse, ct) =>
        {
            var file = parse.GetValue(config);
            if (file is null)
            {
                Console.Error.WriteLine("error: --config is required: write one with `ferryd configure > ferry.yaml`");
                return 2;
            }
            FerryConfig cfg;
            try
            {
                cfg = FerryConfigParser.Load(file.FullName);
            }
            catch (ConfigException ex)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return 2;
            }
            if (!parse.GetValue(allInOne))
            {
                Console.Error.WriteLine("error: this build runs the roles together only: add --all-in-one (separate auth, proxy and agent hosts are not available yet)");
                return 2;
            }
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
            await using var host = await AllInOneHost.StartAsync(cfg, stop.Token);
            Console.Out.WriteLine($"ferryd ready: auth {host.AuthEndPoint}, proxy {host.ProxyEndPoint}, data {cfg.DataDir}");
            Console.Out.Flush();
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
            Console.Out.WriteLine("ferryd stopping");
            return 0;
        });
    }
}
