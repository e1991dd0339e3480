using System.CommandLine;
using Ferry.Daemon;
using Ferry.Hosting;

InlineSocketCompletions.Enable();
return DaemonCommands.Build().Parse(args).Invoke();
