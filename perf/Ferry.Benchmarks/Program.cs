using BenchmarkDotNet.Running;

// Usage: dotnet run -c Release --project perf/Ferry.Benchmarks -- --filter '*Postgres*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

public partial class Program;
