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
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', psi.ArgumentList)} did not finish in time");
        }
        output.Append(await stdout).Append(await stderr);
        return (p.ExitCode, output.ToString());
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
