using System.Diagnostics;
using System.Globalization;
using System.Text;
using Ferry.Testing;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// Runs the AOT <c>ferry</c> binary as one person on one laptop: a home directory of its own (HOME, FERRY_HOME,
/// PGSERVICEFILE and FERRY_MYCNF all inside it), so the tests never touch the real home directory.
/// </summary>
internal sealed class FerryCli : IDisposable
{
    public FerryCli(FerryCluster cluster)
    {
        Cluster = cluster;
        Home = Directory.CreateTempSubdirectory("ferry-cli-home-").FullName;
    }

    public FerryCluster Cluster { get; }

    public string Home { get; }

    public string FerryHome => Path.Combine(Home, ".ferry");

    public string PgServiceFile => Path.Combine(Home, "pg_service.conf");

    public string MyCnf => Path.Combine(Home, ".my.cnf");

    public string Proxy => "127.0.0.1:" + Cluster.ProxyPort.ToString(CultureInfo.InvariantCulture);

    public Dictionary<string, string> Environment(string? path = null) => new()
    {
        ["HOME"] = Home,
        ["FERRY_HOME"] = FerryHome,
        ["PGSERVICEFILE"] = PgServiceFile,
        ["FERRY_MYCNF"] = MyCnf,
        ["PATH"] = path ?? (PostgresServer.BinDirectory + ":" + (System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin")),
    };

    public Task<(int ExitCode, string Output)> RunAsync(string[] args, string? stdin = null, string? path = null) =>
        ProcessRunner.RunAsync(Binaries.Ferry, args, TimeSpan.FromMinutes(3), stdin, Environment(path));

    public async Task<string> RunCheckedAsync(params string[] args)
    {
        var (code, output) = await RunAsync(args);
        Assert.True(code == 0, $"ferry {string.Join(' ', args)} exited {code}: {output}");
        return output;
    }

    public string MySqlProxy => "127.0.0.1:" + Cluster.MySqlPort.ToString(CultureInfo.InvariantCulture);

    /// <summary><c>ferry login --password-stdin --otp CODE</c> with a fresh TOTP code (and the cluster's MySQL listener).</summary>
    public Task<(int ExitCode, string Output)> LoginAsync(FerryCluster.UserSecrets user, params string[] extra) =>
        LoginAtAsync(user, DateTimeOffset.UtcNow, extra);

    /// <summary>
    /// Logs in with the previous 30 s step's code (so a later login of the same user with the current code is not a
    /// reused step). Near the end of a step it first waits for the next one: the server accepts one step of skew, and
    /// a code computed just before a boundary and checked just after it would be two steps old.
    /// </summary>
    public async Task<(int ExitCode, string Output)> LoginWithPreviousCodeAsync(FerryCluster.UserSecrets user, params string[] extra)
    {
        var intoStep = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() % 30_000;
        if (intoStep > 20_000)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(30_000 - intoStep + 200));
        }

        return await LoginAtAsync(user, DateTimeOffset.UtcNow.AddSeconds(-30), extra);
    }

    /// <summary>Logs in with the TOTP code of <paramref name="codeTime"/> (the server accepts one step of skew and refuses a reused step).</summary>
    public Task<(int ExitCode, string Output)> LoginAtAsync(FerryCluster.UserSecrets user, DateTimeOffset codeTime, params string[] extra) =>
        RunAsync(["login", "--proxy", Proxy, "--user", user.User, "--password-stdin", "--otp", Totp.Code(user.TotpSecret, codeTime), "--mysql-proxy", MySqlProxy, .. extra], user.Password + "\n");

    /// <summary>Runs the mysql/mariadb command-line client with this person's HOME (so it reads their ~/.my.cnf).</summary>
    public Task<(int ExitCode, string Output)> MySqlClientAsync(params string[] args) =>
        ProcessRunner.RunAsync(MariaDbServer.FindBinary("mariadb", "mysql")!, args, TimeSpan.FromMinutes(2), environment: Environment());

    public Task<(int ExitCode, string Output)> PsqlAsync(string conninfo, string sql) =>
        ProcessRunner.RunAsync(Path.Combine(PostgresServer.BinDirectory, "psql"), [conninfo, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql], TimeSpan.FromMinutes(2), environment: Environment());

    /// <summary>The per-run password <c>ferry proxy db</c> printed.</summary>
    public static string LocalProxySecret(string output)
    {
        var match = System.Text.RegularExpressions.Regex.Match(output, @"Password:\s+([A-Za-z0-9]{32})\s");
        Assert.True(match.Success, "ferry proxy db printed no password: " + output);
        return match.Groups[1].Value;
    }

    public static string PortText(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>Starts a long-running <c>ferry</c> command (e.g. <c>proxy db</c>) and waits for a line containing <paramref name="ready"/>.</summary>
    /// <param name="redirectStdin">Give the process a standard input the test writes to (<see cref="Running.Process"/>'s StandardInput).</param>
    public async Task<Running> StartAsync(string[] args, string ready, bool redirectStdin = false)
    {
        // Through `env --default-signal=INT` (which execs ferry: same pid), so SIGINT is at its default as in a terminal:
        // a test run started in the background ignores SIGINT, its children inherit that, and .NET then installs no
        // handler for it, so the Ctrl-C a test sends would be dropped.
        var psi = new ProcessStartInfo("/usr/bin/env") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = redirectStdin, UseShellExecute = false };
        psi.ArgumentList.Add("--default-signal=INT");
        psi.ArgumentList.Add(Binaries.Ferry);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in Environment())
        {
            psi.Environment[k] = v;
        }

        var running = new Running(Process.Start(psi)!);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!running.Output.Contains(ready, StringComparison.Ordinal))
        {
            if (running.Process.HasExited || DateTime.UtcNow > deadline)
            {
                var output = running.Output;
                running.Dispose();
                throw new InvalidOperationException($"ferry {string.Join(' ', args)} did not get ready: {output}");
            }

            await Task.Delay(50);
        }

        return running;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    internal sealed class Running : IDisposable
    {
        private readonly StringBuilder _output = new();

        public Running(Process process)
        {
            Process = process;
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public Process Process { get; }

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        private void Append(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_output)
            {
                _output.AppendLine(line);
            }
        }

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                Process.WaitForExit(10_000);
            }

            Process.Dispose();
        }
    }
}
