using System.Diagnostics;
using Ferry.Protocol.Fuzz;
using SharpFuzz;

// Usage:
//   Ferry.Protocol.Fuzz <target> --afl                      run under afl-fuzz (instrumented assemblies, see scripts/fuzz)
//   Ferry.Protocol.Fuzz <target> --replay <seconds> <dir>   replay every seed in <dir>, then random mutations until time is up
//   Ferry.Protocol.Fuzz --list
//   Ferry.Protocol.Fuzz --write-proxy-header-seeds <dir>     (re)writes the signed seeds of proxy-header
//   Ferry.Protocol.Fuzz --write-webauthn-seeds <dir>         (re)writes the registrations and keys of webauthn
if (args.Length == 1 && args[0] == "--list")
{
    foreach (string name in FuzzTargets.All.Keys)
    {
        Console.WriteLine(name);
    }

    return 0;
}

if (args.Length == 2 && args[0] == "--write-webauthn-seeds")
{
    FuzzTargets.WriteWebAuthnSeeds(args[1]);
    return 0;
}

if (args.Length == 2 && args[0] == "--write-proxy-header-seeds")
{
    FuzzTargets.WriteProxyHeaderSeeds(args[1]);
    return 0;
}

if (args.Length < 2 || !FuzzTargets.All.TryGetValue(args[0], out Action<byte[]>? target))
{
    Console.Error.WriteLine($"usage: Ferry.Protocol.Fuzz <{string.Join('|', FuzzTargets.All.Keys)}> --afl | --replay <seconds> <seed-dir>");
    return 2;
}

if (args[1] == "--afl")
{
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        target(memory.ToArray());
    });
    return 0;
}

if (args[1] == "--replay" && args.Length >= 4)
{
    int seconds = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
    string[] seeds = Directory.GetFiles(args[3]);
    var corpus = seeds.Select(File.ReadAllBytes).ToList();
    if (corpus.Count == 0)
    {
        corpus.Add([]);
    }

    foreach (byte[] seed in corpus)
    {
        Run(target, seed, "seed");
    }

    var random = new Random(Environment.TickCount);
    var clock = Stopwatch.StartNew();
    long runs = 0;
    while (clock.Elapsed.TotalSeconds < seconds)
    {
        byte[] input = Mutator.Mutate(corpus[random.Next(corpus.Count)], corpus[random.Next(corpus.Count)], random);
        Run(target, input, "mutation");
        runs++;
    }

    Console.WriteLine($"{args[0]}: {corpus.Count} seeds replayed, {runs} mutations in {clock.Elapsed.TotalSeconds:F0} s, no crash");
    return 0;
}

Console.Error.WriteLine("unknown mode");
return 2;

static void Run(Action<byte[]> target, byte[] input, string kind)
{
    try
    {
        target(input);
    }
    catch (Exception ex)
    {
        string path = Path.Combine(Path.GetTempPath(), $"ferry-fuzz-crash-{Guid.NewGuid():N}.bin");
        File.WriteAllBytes(path, input);
        Console.Error.WriteLine($"CRASH on {kind} ({input.Length} bytes, saved to {path}): {ex}");
        Environment.Exit(1);
    }
}
