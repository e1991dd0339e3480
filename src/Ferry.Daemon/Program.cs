using System.CommandLine;
using Ferry.Daemon;
using Ferry.Hosting;

InlineSocketCompletions.Enable();
TlsIdleSweepReporting.Enable();
IdleCompaction.Enable();
return DaemonCommands.Build().Parse(args).Invoke();
