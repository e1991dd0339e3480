using System.CommandLine;
using Ferry.Cli.Commands;

namespace Ferry.Cli;

/// <summary>The <c>ferry</c> command tree.</summary>
internal static class FerryCommandLine
{
    public static RootCommand Build()
    {
        var root = new RootCommand("""
            ferry: log in to a Ferry cluster and reach the databases your roles allow.

            Example:
              ferry login --proxy ferry.example.com:3080 --user alice
              ferry db ls
              ferry db connect pg1
            """);
        root.Subcommands.Add(LoginCommands.Login());
        root.Subcommands.Add(LoginCommands.Status());
        root.Subcommands.Add(LoginCommands.Logout());
        root.Subcommands.Add(DbCommands.Build());
        root.Subcommands.Add(ProxyCommands.Build());
        root.Subcommands.Add(RequestCommands.Build());
        root.Subcommands.Add(MfaCommands.Build());
        root.Subcommands.Add(AuditCommands.Build());
        root.Subcommands.Add(PlayCommand.Build());
        root.Subcommands.Add(SessionsCommands.Build());
        root.Subcommands.Add(BenchCommands.Build());
        root.Subcommands.Add(CompletionCommand.Build());
        return root;
    }
}
