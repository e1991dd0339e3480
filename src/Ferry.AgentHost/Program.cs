using System.CommandLine;

var root = new RootCommand("""
    ferry-agent: the Ferry database agent. It dials out to the proxies and serves the databases next to it.

    Example:
      ferry-agent check --config agent.yaml
    """);
var configOption = new Option<FileInfo>("--config", "-c") { Description = "Path of the YAML configuration file (its agent section).", Required = true };
var check = new Command("check", "Validate the agent section of a configuration file.");
check.Options.Add(configOption);
check.SetAction(parse =>
{
    var file = parse.GetValue(configOption)!;
    try
    {
        var config = Ferry.Config.FerryConfigParser.Load(file.FullName);
        if (config.Agent is null)
        {
            Console.Error.WriteLine($"error: {file.Name} has no agent section");
            return 2;
        }
        Console.Out.WriteLine($"{file.Name}: OK: {config.Agent.Databases.Count} databases, {config.Agent.Proxies.Count} proxies");
        return 0;
    }
    catch (Ferry.Config.ConfigException ex)
    {
        Console.Error.WriteLine($"error: {ex.Message}");
        return 2;
    }
});
root.Subcommands.Add(check);
return root.Parse(args).Invoke();
