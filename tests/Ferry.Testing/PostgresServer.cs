using System.Globalization;

namespace Ferry.Testing;

/// <summary>
/// A real PostgreSQL 15 server on a free 127.0.0.1 port, in a throwaway data directory.
/// TLS is on and <c>pg_hba.conf</c> admits TCP logins only with a client certificate signed by
/// the CA handed in (<c>hostssl all all 127.0.0.1/32 cert</c>); the fixture itself administers
/// the server over a private Unix socket. Runs as the <c>postgres</c> user when tests run as root.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private const string OsUser = "postgres";
    private readonly ManagedServerProcess _process;

    private PostgresServer(string root, int port, ManagedServerProcess process)
    {
        RootDirectory = root;
        Port = port;
        _process = process;
    }

    public string RootDirectory { get; }

    public int Port { get; }

    public string SocketDirectory => Path.Combine(RootDirectory, "run");

    public int Pid => _process.Pid;

    /// <summary>What the server wrote to stderr (its log: <c>logging_collector</c> is off).</summary>
    public string ServerLog => _process.Log;

    public static string BinDirectory
    {
        get
        {
            var fromEnv = Environment.GetEnvironmentVariable("FERRY_PG_BIN");
            if (!string.IsNullOrEmpty(fromEnv))
            {
                return fromEnv;
            }
            var dirs = Directory.Exists("/usr/lib/postgresql")
                ? Directory.GetDirectories("/usr/lib/postgresql").OrderDescending().ToArray()
                : [];
            foreach (var d in dirs)
            {
                if (File.Exists(Path.Combine(d, "bin", "postgres")))
                {
                    return Path.Combine(d, "bin");
                }
            }
            throw new InvalidOperationException("PostgreSQL server binaries not found: apt-get install -y postgresql (or set FERRY_PG_BIN)");
        }
    }

    public static async Task<PostgresServer> StartAsync(ServerTls tls, int maxConnections = 100, IEnumerable<string>? extraSettings = null)
    {
        var root = Directory.CreateTempSubdirectory("ferry-pg-").FullName;
        try
        {
            var data = Path.Combine(root, "data");
            var run = Path.Combine(root, "run");
            var tlsDir = Path.Combine(root, "tls");
            Directory.CreateDirectory(run);
            await FixtureFiles.WriteTlsAsync(tlsDir, tls);
            ProcessRunner.Chown(root, OsUser);

            var bin = BinDirectory;
            var (initFile, initArgs) = ProcessRunner.AsUser(OsUser, Path.Combine(bin, "initdb"),
                ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"]);
            await ProcessRunner.RunCheckedAsync(initFile, initArgs);

            var port = FreePort.Next();
            var conf = new List<string>
            {
                $"port = {port}",
                "listen_addresses = '127.0.0.1'",
                $"unix_socket_directories = '{run}'",
                $"max_connections = {maxConnections}",
                "ssl = on",
                $"ssl_cert_file = '{Path.Combine(tlsDir, "server.pem")}'",
                $"ssl_key_file = '{Path.Combine(tlsDir, "server.key")}'",
                $"ssl_ca_file = '{Path.Combine(tlsDir, "ca.pem")}'",
                "fsync = off",
                "synchronous_commit = off",
                "full_page_writes = off",
                "logging_collector = off",
                "log_min_messages = warning",
                "shared_buffers = 64MB",
            };
            if (extraSettings is not null)
            {
                conf.AddRange(extraSettings);
            }
            await File.AppendAllLinesAsync(Path.Combine(data, "postgresql.conf"), conf);
            await File.WriteAllLinesAsync(Path.Combine(data, "pg_hba.conf"),
            [
                "# administration by the fixture over its private socket",
                "local all all trust",
                "# TCP: certificate logins only (CN = database user)",
                "hostssl all all 127.0.0.1/32 cert",
            ]);
            ProcessRunner.Chown(root, OsUser);

            var (file, args) = ProcessRunner.AsUser(OsUser, Path.Combine(bin, "postgres"), ["-D", data]);
            var process = ManagedServerProcess.Start(file, args);
            var server = new PostgresServer(root, port, process);
            await server.WaitReadyAsync();
            return server;
        }
        catch
        {
            FixtureFiles.TryDelete(root);
            throw;
        }
    }

    private async Task WaitReadyAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"postgres exited during start-up:\n{_process.Log}");
            }
            var (code, _) = await ProcessRunner.RunAsync(Path.Combine(BinDirectory, "pg_isready"),
                ["-h", SocketDirectory, "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres"], TimeSpan.FromSeconds(10));
            if (code == 0 && await FixtureFiles.TcpReachableAsync(Port))
            {
                return;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"postgres did not become ready:\n{_process.Log}");
    }


    /// <summary>Runs SQL as the superuser over the fixture's private socket.</summary>
    public Task<string> PsqlAsync(string sql, string database = "postgres") =>
        ProcessRunner.RunCheckedAsync(Path.Combine(BinDirectory, "psql"),
            ["-h", SocketDirectory, "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-d", database,
             "-v", "ON_ERROR_STOP=1", "-X", "-q", "-A", "-t", "-c", sql]);

    /// <summary>Creates a login role (no password: only certificate logins work over TCP) and optionally a database it owns.</summary>
    public async Task CreateUserAsync(string user, string? ownedDatabase = null)
    {
        await PsqlAsync($"CREATE ROLE \"{user}\" LOGIN");
        if (ownedDatabase is not null)
        {
            await PsqlAsync($"CREATE DATABASE \"{ownedDatabase}\" OWNER \"{user}\"");
        }
    }

    public ValueTask DisposeAsync()
    {
        // SIGINT = fast shutdown: active sessions are rolled back, the postmaster exits.
        _process.Stop(2, TimeSpan.FromSeconds(20));
        _process.Dispose();
        FixtureFiles.TryDelete(RootDirectory);
        return ValueTask.CompletedTask;
    }

}
