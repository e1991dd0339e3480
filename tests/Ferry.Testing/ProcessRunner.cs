using System.Diagnostics;
using System.Text;

namespace Ferry.Testing;

/// <summary>Runs helper commands (initdb, psql, mariadb) to completion with a bounded wait.</summary>
public static class ProcessRunner
{
    public static bool IsRoot => Environment.UserName == "root";

    public static async Task<(int ExitCode, string Output)> RunAsync(
        string fileName, IEnumerable<string> args, TimeSpan? timeout = null, string? stdin = null,
        IDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
            {
                psi.Environment[k] = v;
            }
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {fileName}");
        var output = new StringBuilder();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await p.StandardInput.WriteAsync(stdin);
            p.StandardInput.Close();
        }
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            var stacks = await ThreadStacksAsync(p.Id);
            p.Kill(entireProcessTree: true);
            var partial = await OutputSoFarAsync(stdout, stderr);
            throw new TimeoutException(
                $"{fileName} {string.Join(' ', psi.ArgumentList)} did not finish in time\n--- output so far ---\n{partial}\n--- threads of the hung process ---\n{stacks}");
        }
        output.Append(await stdout).Append(await stderr);
        return (p.ExitCode, output.ToString());
    }

    /// <summary>
    /// Every thread's native stack in a process that did not end in time (gdb, when installed, bounded to 30 s), and
    /// each thread's kernel wait channel: what a hang was waiting for, in the failure message instead of a guess.
    /// </summary>
    private static async Task<string> ThreadStacksAsync(int pid)
    {
        var text = new StringBuilder();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                var comm = File.ReadAllText(Path.Combine(task, "comm")).Trim();
                var wchan = File.ReadAllText(Path.Combine(task, "wchan")).Trim();
                text.Append(Path.GetFileName(task)).Append(' ').Append(comm).Append(" wchan=").AppendLine(wchan);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            text.AppendLine($"(threads not readable: {e.Message})");
        }

        var gdb = new[] { "/usr/bin/gdb", "/bin/gdb" }.FirstOrDefault(File.Exists);
        if (gdb is null)
        {
            return text.Append("(no gdb: native stacks not taken)").ToString();
        }

        try
        {
            var psi = new ProcessStartInfo(gdb) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "-p", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-batch", "-nx", "-ex", "thread apply all bt 40" })
            {
                psi.ArgumentList.Add(a);
            }

            using var g = Process.Start(psi)!;
            var o = g.StandardOutput.ReadToEndAsync();
            var err = g.StandardError.ReadToEndAsync();
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await g.WaitForExitAsync(bound.Token);
            }
            catch (OperationCanceledException)
            {
                g.Kill(entireProcessTree: true);
            }

            return text.Append(await o).Append(await err).ToString();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return text.Append("(gdb failed: ").Append(e.Message).Append(')').ToString();
        }
    }

    /// <summary>What a killed process wrote before it was killed (its pipes close with it; bounded in case a child holds them).</summary>
    private static async Task<string> OutputSoFarAsync(Task<string> stdout, Task<string> stderr)
    {
        var both = Task.WhenAll(stdout, stderr);
        if (await Task.WhenAny(both, Task.Delay(TimeSpan.FromSeconds(5))) != both)
        {
            return "(output pipes still open)";
        }

        return stdout.Result + stderr.Result;
    }

    public static async Task<string> RunCheckedAsync(string fileName, IEnumerable<string> args, TimeSpan? timeout = null, string? stdin = null)
    {
        var (code, output) = await RunAsync(fileName, args, timeout, stdin);
        if (code != 0)
        {
            throw new InvalidOperationException($"{fileName} exited with {code}: {output}");
        }
        return output;
    }

    /// <summary>Runs a command as another OS user when we are root (setpriv execs, so the pid is the command's own).</summary>
    public static (string File, List<string> Args) AsUser(string? user, string file, IEnumerable<string> args)
    {
        if (user is null || !IsRoot)
        {
            return (file, args.ToList());
        }
        var list = new List<string> { $"--reuid={user}", $"--regid={user}", "--init-groups", "--", file };
        list.AddRange(args);
        return ("setpriv", list);
    }

    public static void Chown(string path, string user)
    {
        if (!IsRoot)
        {
            return;
        }
        var (code, output) = RunAsync("chown", ["-R", $"{user}:{user}", path]).GetAwaiter().GetResult();
        if (code != 0)
        {
            throw new InvalidOperationException($"chown {path} failed: {output}");
        }
    }
}
