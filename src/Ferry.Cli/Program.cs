using Ferry.Cli;

return FerryCommandLine.Build().Parse(args).Invoke();
