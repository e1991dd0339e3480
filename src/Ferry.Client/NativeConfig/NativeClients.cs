using System.Diagnostics;

namespace Ferry.Client;

/// <summary>Finds the native database clients on PATH and tells a MariaDB client from Oracle's MySQL client (their TLS options differ).</summary>
public static class NativeClients
{
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

    /// <summary>The MySQL-protocol client: <c>mysql</c>, else <c>mariadb</c>; null when neither is installed.</summary>
    public static string? FindMySqlClient() => Find("mysql") ?? Find("mariadb");

    /// <summary>
    /// Whether <paramref name="program"/> (default: the client on PATH) is MariaDB's: it takes <c>--ssl-verify-server-cert</c>,
    /// Oracle's takes <c>--ssl-mode=VERIFY_IDENTITY</c>, and each warns about the other's option even with <c>loose-</c>.
    /// </summary>
    public static bool IsMariaDb(string? program = null)
    {
        program ??= FindMySqlClient();
        if (program is null)
        {
            return false;
        }

        if (Path.GetFileName(program) == "mariadb")
        {
            return true;
        }

        try
        {
            var start = new ProcessStartInfo(program, "--version") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var process = Process.Start(start);
            if (process is null)
            {
                return false;
            }

            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit(5000);
            return output.Contains("MariaDB", StringComparison.OrdinalIgnoreCase);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
