using System.Diagnostics;
using Ferry.Client;

namespace Ferry.Cli.Commands;

/// <summary>Runs <c>psql</c> or <c>mysql</c>/<c>mariadb</c> with the database login's settings, stdio inherited.</summary>
internal static class NativeClient
{
    public static async Task<int> RunAsync(DatabaseLogin login, IReadOnlyList<string> extra, CancellationToken ct)
    {
        string program;
        List<string> args;
        if (login.IsPostgres)
        {
            program = Find("psql") ?? throw new FerryClientException(
                "psql is not installed or not on PATH: install the PostgreSQL client (e.g. `apt install postgresql-client`), or use `ferry proxy db " + login.Name + "` with another client");
            args = [string.Join(' ', DatabaseConnectionSettings.PostgresKeywords(login).Select(kv => kv.Key + "=" + DatabaseConnectionSettings.LibpqQuote(kv.Value)))];
        }
        else
        {
            program = Find("mysql") ?? Find("mariadb") ?? throw new FerryClientException(
                "neither mysql nor mariadb is installed or on PATH: install a MySQL or MariaDB client (e.g. `apt install mariadb-client`), or use `ferry proxy db " + login.Name + "` with another client");
            args = [.. DatabaseConnectionSettings.MySqlArguments(login, await IsMariaDbAsync(program, ct).ConfigureAwait(false))];
        }

        args.AddRange(extra);
        var start = new ProcessStartInfo(program) { UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new FerryClientException($"could not start {program}");
        try
        {
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C reaches the client too (same process group); let it finish on its own terms.
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }

        return process.ExitCode;
    }

    /// <summary>The full path of <paramref name="name"/> on PATH, or null.</summary>
    public static string? Find(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate) && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
            {
                return candidate;
            }
        }

        return null;
    }

    private static async Task<bool> IsMariaDbAsync(string program, CancellationToken ct)
    {
        if (Path.GetFileName(program) == "mariadb")
        {
            return true;
        }

        var start = new ProcessStartInfo(program, "--version") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start);
        if (process is null)
        {
            return false;
        }

        var output = await process.StandardOutput.ReadToEndAsync(ct).ConfigureAwait(false);
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        return output.Contains("MariaDB", StringComparison.OrdinalIgnoreCase);
    }
}
