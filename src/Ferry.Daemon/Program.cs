using System.CommandLine;
using Ferry.Daemon;

return DaemonCommands.Build().Parse(args).Invoke();
