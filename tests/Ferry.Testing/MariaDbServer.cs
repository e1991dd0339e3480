using System.Globalization;

namespace Ferry.Testing;

/// <summary>
/// A real MariaDB server (<c>mariadbd</c>) on a free 127.0.0.1 port with its own datadir and
/// socket. TLS is required for TCP clients and users are created with
/// <c>REQUIRE SUBJECT '/CN=&lt;user&gt;'</c>, so only a client certificate from the CA handed in
/// logs them in. Runs as the <c>mysql</c> user when tests run as root.
/// </summary>
public sealed class MariaDbServer : IAsyncDisposable
{
    private const string OsUser = "mysql";
    private readonly ManagedServerProcess _process;

    private MariaDbServer(string root, int port, ManagedServerProcess process)
    {
        RootDirectory = root;
        Port = port;
        _process = process;
    }

    public string RootDirectory { get; }

    public int Port { get; }

    public string SocketPath => Path.Combine(RootDirectory, "mysqld.sock");

    public int Pid => _process.Pid;

    public string ServerLog => _process.Log;

    public static string? FindBinary(params string[] names)
    {
        foreach (var name in names)
        {
            foreach (var dir in new[] { "/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin" })
            {
                var p = Path.Combine(dir, name);
                if (File.Exists(p))
                {
                    return p;
                }
            }
        }
        return null;
    }

    public static async Task<MariaDbServer> StartAsync(ServerTls tls, int maxConnections = 200)
    {
        var mariadbd = FindBinary("mariadbd", "mysqld")
            ?? throw new InvalidOperationException("MariaDB server not found: apt-get install -y mariadb-server");
        var installDb = FindBinary("mariadb-install-db", "mysql_install_db")
            ?? throw new InvalidOperationException("mariadb-install-db not found: apt-get install -y mariadb-server");
        var root = Directory.CreateTempSubdirectory("ferry-mariadb-").FullName;
        try
        {
            var data = Path.Combine(root, "data");
            var tlsDir = Path.Combine(root, "tls");
            await FixtureFiles.WriteTlsAsync(tlsDir, tls);
            ProcessRunner.Chown(root, OsUser);

            var userArg = ProcessRunner.IsRoot ? new[] { $"--user={OsUser}" } : [];
            string[] installArgs = ["--no-defaults", $"--datadir={data}", "--auth-root-authentication-method=socket", "--skip-test-db", .. userArg];
            var (installCode, installOutput) = await ProcessRunner.RunAsync(installDb, installArgs, TimeSpan.FromMinutes(3));
            if (installCode != 0)
            {
                // mariadb-install-db occasionally fails when several servers are initialised at once on a busy
                // machine; one clean retry, then the whole story if it fails again.
                FixtureFiles.TryDelete(data);
                var (again, againOutput) = await ProcessRunner.RunAsync(installDb, installArgs, TimeSpan.FromMinutes(3));
                if (again != 0)
                {
                    throw new InvalidOperationException($"{installDb} failed twice:\n{installOutput}\n--- retry:\n{againOutput}");
                }
            }

            var port = FreePort.Next();
            var args = new List<string>
            {
                "--no-defaults",
                $"--datadir={data}",
                $"--socket={Path.Combine(root, "mysqld.sock")}",
                $"--pid-file={Path.Combine(root, "mysqld.pid")}",
                $"--port={port}",
                "--bind-address=127.0.0.1",
                $"--max-connections={maxConnections}",
                $"--ssl-ca={Path.Combine(tlsDir, "ca.pem")}",
                $"--ssl-cert={Path.Combine(tlsDir, "server.pem")}",
                $"--ssl-key={Path.Combine(tlsDir, "server.key")}",
                "--require-secure-transport=ON",
                "--skip-log-bin",
                "--innodb-buffer-pool-size=64M",
                "--innodb-log-file-size=32M",
                "--innodb-flush-log-at-trx-commit=2",
                "--skip-name-resolve",
                "--max-allowed-packet=256M",
                "--log-error=" + Path.Combine(root, "error.log"),
            };
            args.AddRange(userArg);
            var process = ManagedServerProcess.Start(mariadbd, args);
            var server = new MariaDbServer(root, port, process);
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
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                var err = File.Exists(Path.Combine(RootDirectory, "error.log")) ? await File.ReadAllTextAsync(Path.Combine(RootDirectory, "error.log")) : "";
                throw new InvalidOperationException($"mariadbd exited during start-up:\n{_process.Log}\n{err}");
            }
            if (File.Exists(SocketPath) && await FixtureFiles.TcpReachableAsync(Port))
            {
                var (code, _) = await RunSqlAsync("SELECT 1");
                if (code == 0)
                {
                    return;
                }
            }
            await Task.Delay(150);
        }
        throw new TimeoutException($"mariadbd did not become ready:\n{_process.Log}");
    }


    private Task<(int, string)> RunSqlAsync(string sql)
    {
        var client = FindBinary("mariadb", "mysql") ?? throw new InvalidOperationException("mariadb client not found: apt-get install -y mariadb-client");
        return ProcessRunner.RunAsync(client, ["--no-defaults", $"--socket={SocketPath}", "-uroot", "--batch", "--skip-column-names", "-e", sql], TimeSpan.FromSeconds(60));
    }

    /// <summary>Runs SQL as root over the fixture's private socket.</summary>
    public async Task<string> SqlAsync(string sql)
    {
        var (code, output) = await RunSqlAsync(sql);
        if (code != 0)
        {
            throw new InvalidOperationException($"mariadb failed ({code}): {output}");
        }
        return output;
    }

    /// <summary>Creates a user that can log in only with a client certificate whose subject is exactly CN=user.</summary>
    public Task CreateCertificateUserAsync(string user, string grantOn = "*.*", string privileges = "ALL PRIVILEGES") =>
        SqlAsync($"CREATE USER '{user}'@'%' REQUIRE SUBJECT '/CN={user}'; GRANT {privileges} ON {grantOn} TO '{user}'@'%'; FLUSH PRIVILEGES;");

    public string PortText => Port.ToString(CultureInfo.InvariantCulture);

    public ValueTask DisposeAsync()
    {
        _process.Stop(15, TimeSpan.FromSeconds(30));
        _process.Dispose();
        FixtureFiles.TryDelete(RootDirectory);
        return ValueTask.CompletedTask;
    }

}
