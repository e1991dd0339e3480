using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Ferry.Contracts;
using Ferry.Identity;
using Ferry.Testing;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// A real cluster for end-to-end tests: PostgreSQL configured with Ferry's db-client CA and a
/// server certificate from <c>ferryd admin db-cert</c>, and the AOT <c>ferryd --all-in-one</c>
/// (auth + proxy + agent) on free loopback ports. Users log in through the real HTTPS API.
/// </summary>
public sealed partial class FerryCluster : IAsyncDisposable
{
    public const string DeveloperRole = """
        kind: role
        name: developer
        options: { max_session_ttl: 8h }
        allow:
          db_labels: { env: [dev, staging] }
          db_names: [app, "{{internal.db_names}}"]
          db_users: ["{{internal.db_users}}", readonly]
        deny:
          db_labels: { env: prod }
        """;

    private ManagedServerProcess? _ferryd;

    private FerryCluster(string root, bool standaloneAgent)
    {
        Root = root;
        StandaloneAgent = standaloneAgent;
    }

    public string Root { get; }

    public string DataDir => Path.Combine(Root, "data");

    public PostgresServer Postgres { get; private set; } = null!;

    public MariaDbServer MariaDb { get; private set; } = null!;

    /// <summary>The proxy's MySQL listener (<c>proxy.mysql_listen_addr</c>).</summary>
    public int MySqlPort { get; private set; }

    public int ProxyPort { get; private set; }

    public int AuthPort { get; private set; }

    /// <summary>ferryd's diagnostics listener (<c>diag_addr</c>): /metrics, /healthz, /readyz.</summary>
    public int DiagPort { get; private set; }

    public string HostCaPath => Path.Combine(Root, "host-ca.pem");

    public string FerrydLog => _ferryd?.Log ?? "";

    /// <param name="standaloneAgent">Run the agent as its own <c>ferry-agent</c> process that joins through the proxy (see FerryCluster.Agent.cs).</param>
    /// <param name="proxyOptions">Extra keys of the <c>proxy:</c> section, one per line.</param>
    /// <param name="authOptions">Runs once the ports and databases are known, before ferryd starts; returns extra keys of the <c>auth:</c> section (e.g. SSO connectors), one per line.</param>
    public static async Task<FerryCluster> StartAsync(bool standaloneAgent = false, string proxyOptions = "", Func<FerryCluster, Task<string>>? authOptions = null)
    {
        var cluster = new FerryCluster(Directory.CreateTempSubdirectory("ferry-e2e-").FullName, standaloneAgent) { _proxyOptions = proxyOptions, _authOptions = authOptions };
        try
        {
            await cluster.StartCoreAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private string _proxyOptions = "";

    private Func<FerryCluster, Task<string>>? _authOptions;

    private string ProxyOptionLines() => string.Join("\n", _proxyOptions.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => "  " + l.Trim()));

    private async Task StartCoreAsync()
    {
        Directory.CreateDirectory(DataDir);
        var tls = Path.Combine(Root, "db-tls");
        var caPem = await AdminAsync("ca", "export", "--type", "db-client");
        await AdminAsync("db-cert", "--host", "127.0.0.1,localhost", "--out-dir", tls, "--ttl", "1d");
        var serverTls = new ServerTls(
            caPem,
            await File.ReadAllTextAsync(Path.Combine(tls, "server.crt")),
            await File.ReadAllTextAsync(Path.Combine(tls, "server.key")));
        Postgres = await PostgresServer.StartAsync(serverTls);
        MariaDb = await MariaDbServer.StartAsync(serverTls);
        await MariaDb.SqlAsync("CREATE DATABASE app; CREATE DATABASE other;");
        await MariaDb.CreateCertificateUserAsync("alice");
        await MariaDb.CreateCertificateUserAsync("readonly", "app.*", "SELECT");
        // The agent's health probe logs in as this account (no privileges) and quits, so MariaDB logs nothing per probe.
        await MariaDb.SqlAsync("CREATE USER 'ferry_probe'@'%' REQUIRE SUBJECT '/CN=ferry_probe'; FLUSH PRIVILEGES;");
        await Postgres.CreateUserAsync("alice", ownedDatabase: "app");
        await Postgres.CreateUserAsync("readonly");
        await Postgres.PsqlAsync("GRANT CONNECT ON DATABASE app TO readonly");

        var rolePath = Path.Combine(Root, "developer.yaml");
        await File.WriteAllTextAsync(rolePath, DeveloperRole);
        await AdminAsync("roles", "apply", "-f", rolePath);

        ProxyPort = FreePort.Next();
        AuthPort = FreePort.Next();
        MySqlPort = FreePort.Next();
        DiagPort = FreePort.Next();
        var config = Path.Combine(Root, "ferry.yaml");
        var authLines = _authOptions is null ? "" : string.Join("\n", (await _authOptions(this)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => "  " + l.TrimEnd()));
        await File.WriteAllTextAsync(config, $$"""
            cluster_name: e2e
            data_dir: {{DataDir}}
            diag_addr: 127.0.0.1:{{DiagPort}}
            auth:
              listen_addr: 127.0.0.1:{{AuthPort}}
            {{authLines}}
              health_check_users: [ferry_probe]
            proxy:
              listen_addr: 127.0.0.1:{{ProxyPort}}
              public_addrs: [127.0.0.1:{{ProxyPort}}]
              mysql_listen_addr: 127.0.0.1:{{MySqlPort}}
            {{ProxyOptionLines()}}
            agent:
              enabled: {{(StandaloneAgent ? "false" : "true")}}
              databases:
                - name: pg1
                  protocol: postgres
                  uri: 127.0.0.1:{{Postgres.Port}}
                  labels: { env: dev }
                - name: pgprod
                  protocol: postgres
                  uri: 127.0.0.1:{{Postgres.Port}}
                  labels: { env: prod }
                - name: pgpool
                  protocol: postgres
                  uri: 127.0.0.1:{{Postgres.Port}}
                  labels: { env: dev }
                  pool: { max_idle: 2, idle_timeout: 30s }
                - name: my1
                  protocol: mysql
                  uri: 127.0.0.1:{{MariaDb.Port}}
                  labels: { env: dev }
                  health_check_user: ferry_probe
                - name: myprod
                  protocol: mysql
                  uri: 127.0.0.1:{{MariaDb.Port}}
                  labels: { env: prod }
                  health_check_user: ferry_probe
            """);
        _ferryd = ManagedServerProcess.Start(Binaries.Ferryd, ["--config", config, "--all-in-one"]);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!_ferryd.Log.Contains("ferryd ready", StringComparison.Ordinal))
        {
            if (_ferryd.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"ferryd did not start:\n{_ferryd.Log}");
            }
            await Task.Delay(100);
        }
        var ca = await Api().GetFromJsonAsync("/v1/ca", AuthApiJsonContext.Default.CaResponse);
        await File.WriteAllTextAsync(HostCaPath, ca!.HostCaPem);
        if (StandaloneAgent)
        {
            await StartAgentAsync(await File.ReadAllTextAsync(config));
        }
        await WaitForAgentAsync();
    }

    /// <summary>Waits until the agent's tunnel is up: a connection to pg1 stops failing with "not available".</summary>
    private async Task WaitForAgentAsync()
    {
        var user = await AddUserAsync("probe", "developer", "db_users=alice");
        var creds = await LoginAsync(user, "pg1", "alice", "app");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var (code, output) = await PsqlAsync(creds, "SELECT 1");
            if (code == 0)
            {
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"agent never became reachable: {output}\n{FerrydLog}");
            }
            await Task.Delay(200);
        }
    }

    /// <summary>A <c>ferry.yaml</c> that later <see cref="AdminAsync"/> calls pass as <c>--config</c> (its backend, e.g. PostgreSQL).</summary>
    public string? AdminConfig { get; set; }

    public async Task<string> AdminAsync(params string[] args)
    {
        string[] config = AdminConfig is null ? [] : ["--config", AdminConfig];
        var (code, output) = await ProcessRunner.RunAsync(Binaries.Ferryd, ["admin", .. config, .. args, "--data-dir", DataDir], TimeSpan.FromSeconds(60));
        return code == 0 ? output : throw new InvalidOperationException($"ferryd admin {string.Join(' ', args)} failed ({code}): {output}");
    }

    public sealed record UserSecrets(string User, string Password, string TotpSecret);

    public async Task<UserSecrets> AddUserAsync(string name, string roles, string? traits = null)
    {
        var args = new List<string> { "users", "add", name, "--roles", roles, "--format", "json" };
        // Several traits are separated by ';' ("db_users=alice;db_names=app,slap").
        foreach (var trait in (traits ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            args.AddRange(["--traits", trait]);
        }
        var json = await AdminAsync([.. args]);
        using var doc = JsonDocument.Parse(json);
        return new UserSecrets(name, doc.RootElement.GetProperty("password").GetString()!, doc.RootElement.GetProperty("totp_secret").GetString()!);
    }

    public sealed record Credentials(string CertPath, string KeyPath, X509Certificate2 Certificate);


    /// <summary>
    /// Logs in with password + TOTP through the API, then asks for a certificate routed to a database. The API is the
    /// auth service's (<see cref="AuthPort"/>) unless <paramref name="apiPort"/> names another (a second auth server, or a proxy's port).
    /// </summary>
    public async Task<Credentials> LoginAsync(UserSecrets user, string? service = null, string? dbUser = null, string? dbName = null, string protocol = "postgres", int? apiPort = null)
    {
        using var key = KeyPair.Generate();
        var login = await Api(port: apiPort).PostAsJsonAsync("/v1/login", new LoginRequest
        {
            User = user.User,
            Password = user.Password,
            Otp = Totp.Code(user.TotpSecret, DateTimeOffset.UtcNow),
            PublicKeyPem = key.ExportPublicKeyPem(),
        }, AuthApiJsonContext.Default.LoginRequest);
        var body = await login.Content.ReadAsStringAsync();
        if (!login.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"login failed: {(int)login.StatusCode} {body}");
        }
        var issued = JsonSerializer.Deserialize(body, AuthApiJsonContext.Default.UserCertificateResponse)!;
        var certificate = TlsCertificates.FromPem(issued.CertificatePem, key.ExportPrivateKeyPem());
        if (service is not null)
        {
            var routed = await Api(certificate, apiPort).PostAsJsonAsync("/v1/certs/user", new UserCertificateRequest
            {
                PublicKeyPem = key.ExportPublicKeyPem(),
                Route = new RouteRequest { Service = service, Protocol = protocol, DbUser = dbUser ?? "", DbName = dbName ?? "" },
            }, AuthApiJsonContext.Default.UserCertificateRequest);
            var routedBody = await routed.Content.ReadAsStringAsync();
            if (!routed.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"routed certificate refused: {(int)routed.StatusCode} {routedBody}");
            }
            issued = JsonSerializer.Deserialize(routedBody, AuthApiJsonContext.Default.UserCertificateResponse)!;
            certificate = TlsCertificates.FromPem(issued.CertificatePem, key.ExportPrivateKeyPem());
        }
        var dir = Path.Combine(Root, "users", user.User + "-" + Guid.NewGuid().ToString("N")[..8]);
        var (certPath, keyPath) = TestPki.WriteClientFiles(dir, "cert", (issued.CertificatePem, key.ExportPrivateKeyPem()));
        return new Credentials(certPath, keyPath, certificate);
    }

    /// <summary>
    /// A routed certificate for the same key as <paramref name="login"/>, asked with that login certificate (no new
    /// login, so no second one-time code), optionally naming approved access requests.
    /// </summary>
    public async Task<Credentials> RouteAsync(Credentials login, string service, string dbUser, string dbName, string protocol = "postgres", IReadOnlyList<string>? accessRequestIds = null)
    {
        var keyPem = await File.ReadAllTextAsync(login.KeyPath);
        using var key = KeyPair.FromPrivateKeyPem(keyPem);
        var routed = await Api(login.Certificate).PostAsJsonAsync("/v1/certs/user", new UserCertificateRequest
        {
            PublicKeyPem = key.ExportPublicKeyPem(),
            Route = new RouteRequest { Service = service, Protocol = protocol, DbUser = dbUser, DbName = dbName },
            AccessRequestIds = accessRequestIds is null ? null : [.. accessRequestIds],
        }, AuthApiJsonContext.Default.UserCertificateRequest);
        var body = await routed.Content.ReadAsStringAsync();
        if (!routed.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"routed certificate refused: {(int)routed.StatusCode} {body}");
        }

        var issued = JsonSerializer.Deserialize(body, AuthApiJsonContext.Default.UserCertificateResponse)!;
        var dir = Path.Combine(Root, "users", service + "-" + Guid.NewGuid().ToString("N")[..8]);
        var (certPath, keyPath) = TestPki.WriteClientFiles(dir, "cert", (issued.CertificatePem, keyPem));
        return new Credentials(certPath, keyPath, TlsCertificates.FromPem(issued.CertificatePem, keyPem));
    }

    public string ConnectionString(Credentials c, string user = "alice", string database = "app") =>
        $"host=127.0.0.1 port={ProxyPort} user={user} dbname={database} sslmode=verify-full sslrootcert={HostCaPath} sslcert={c.CertPath} sslkey={c.KeyPath}";

    public string NpgsqlConnectionString(Credentials c, string user = "alice", string database = "app") =>
        $"Host=127.0.0.1;Port={ProxyPort};Username={user};Database={database};SSL Mode=VerifyFull;Root Certificate={HostCaPath};SSL Certificate={c.CertPath};SSL Key={c.KeyPath};Pooling=false;Timeout=30;Command Timeout=120;Cancellation Timeout=15000";

    public Task<(int Code, string Output)> PsqlAsync(Credentials c, string sql, string user = "alice", string database = "app") =>
        ProcessRunner.RunAsync(Path.Combine(PostgresServer.BinDirectory, "psql"),
            [ConnectionString(c, user, database), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql], TimeSpan.FromMinutes(5));

    /// <summary>Arguments for the <c>mariadb</c>/<c>mysql</c> CLI tools to reach the proxy's MySQL listener with a certificate.</summary>
    public IReadOnlyList<string> MySqlClientArgs(Credentials c, string user = "alice", string? database = "app") =>
    [
        "--no-defaults", "-h", "127.0.0.1", "-P", MySqlPort.ToString(CultureInfo.InvariantCulture), "-u", user,
        "--ssl", $"--ssl-ca={HostCaPath}", "--ssl-verify-server-cert", $"--ssl-cert={c.CertPath}", $"--ssl-key={c.KeyPath}",
        .. database is null ? Array.Empty<string>() : [$"--database={database}"],
    ];

    /// <summary>Runs SQL with the <c>mariadb</c> CLI through the proxy (batch mode, no column names).</summary>
    public Task<(int Code, string Output)> MySqlAsync(Credentials c, string sql, string user = "alice", string? database = "app") =>
        ProcessRunner.RunAsync(MariaDbServer.FindBinary("mariadb", "mysql")!, [.. MySqlClientArgs(c, user, database), "--batch", "--skip-column-names", "-e", sql], TimeSpan.FromMinutes(5));

    /// <summary>A MySqlConnector connection string through the proxy's MySQL listener.</summary>
    public string MySqlConnectorConnectionString(Credentials c, string user = "alice", string database = "app") =>
        $"Server=127.0.0.1;Port={MySqlPort.ToString(CultureInfo.InvariantCulture)};User ID={user};Database={database};SslMode=VerifyFull;SslCa={HostCaPath};SslCert={c.CertPath};SslKey={c.KeyPath};Pooling=false;Connection Timeout=30;Default Command Timeout=300;AllowPublicKeyRetrieval=false";

    /// <summary>An HTTPS client of the auth API at <see cref="AuthPort"/> (or <paramref name="port"/>), optionally presenting a certificate.</summary>
    public HttpClient Api(X509Certificate2? clientCertificate = null, int? port = null)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions =
            {
                RemoteCertificateValidationCallback = static (_, _, _, _) => true,
                ClientCertificates = clientCertificate is null ? null : [clientCertificate],
                LocalCertificateSelectionCallback = clientCertificate is null ? null : (_, _, _, _, _) => clientCertificate,
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{(port ?? AuthPort).ToString(CultureInfo.InvariantCulture)}"), Timeout = TimeSpan.FromSeconds(60) };
    }

    public async ValueTask DisposeAsync()
    {
        StopAgent();
        _ferryd?.Stop(15, TimeSpan.FromSeconds(20));
        _ferryd?.Dispose();
        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }
        if (MariaDb is not null)
        {
            await MariaDb.DisposeAsync();
        }
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
