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
            program = NativeClients.Find("psql") ?? throw new FerryClientException(
                "psql is not installed or not on PATH: install the PostgreSQL client (e.g. `apt install postgresql-client`), or use `ferry proxy db " + login.Name + "` with another client");
            args = [string.Join(' ', DatabaseConnectionSettings.PostgresKeywords(login).Select(kv => kv.Key + "=" + DatabaseConnectionSettings.LibpqQuote(kv.Value)))];
        }
        else
        {
            program = NativeClients.FindMySqlClient() ?? throw new FerryClientException(
                "neither mysql nor mariadb is installed or on PATH: install a MySQL or MariaDB client (e.g. `apt install mariadb-client`), or use `ferry proxy db " + login.Name + "` with another client");
            args = [.. DatabaseConnectionSettings.MySqlArguments(login, NativeClients.IsMariaDb(program))];
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
}
