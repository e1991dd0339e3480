using System.CommandLine;
using Ferry.Config;

namespace Ferry.Daemon;

/// <summary>The <c>ferryd</c> command line.</summary>
internal static partial class DaemonCommands
{
    public static RootCommand Build()
    {
        var root = new RootCommand("""
            ferryd: the Ferry server daemon (auth service, proxy and agent roles).

            Examples:
              ferryd configure > ferry.yaml
              ferryd check --config ferry.yaml
              ferryd --config ferry.yaml --all-in-one
              ferryd admin users add alice --roles admin --data-dir /var/lib/ferry
            """);
        AddStart(root);
        root.Subcommands.Add(Ferry.Auth.Admin.AdminCommand.Create());
        root.Subcommands.Add(CreateAuditCommand());

        var configure = new Command("configure", "Print a commented sample ferry.yaml with every key and its default.");
        configure.SetAction(_ =>
        {
            Console.Out.Write(SampleConfig.Text);
            Console.Out.WriteLine();
            return 0;
        });
        root.Subcommands.Add(configure);

        var configOption = new Option<FileInfo>("--config", "-c")
        {
            Description = "Path of the YAML configuration file.",
            Required = true,
        };
        var check = new Command("check", "Validate a configuration file and print what it enables.");
        check.Options.Add(configOption);
        check.SetAction(parse =>
        {
            var file = parse.GetValue(configOption)!;
            try
            {
                var config = FerryConfigParser.Load(file.FullName);
                var roles = new List<string>();
                if (config.Auth is not null)
                {
                    roles.Add("auth");
                }
                if (config.Proxy is not null || (config.Auth is not null && config.ProxyEnabled))
                {
                    roles.Add("proxy");
                }
                if (config.Agent is not null)
                {
                    roles.Add($"agent ({config.Agent.Databases.Count} databases)");
                }
                Console.Out.WriteLine($"{file.Name}: OK: cluster {config.ClusterName}, roles: {(roles.Count == 0 ? "none" : string.Join(", ", roles))}");
                return 0;
            }
            catch (ConfigException ex)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return 2;
            }
        });
        root.Subcommands.Add(check);
        return root;
    }
}
