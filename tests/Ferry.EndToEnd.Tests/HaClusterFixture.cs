using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Ferry.Testing;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// The HA shape of issue 24 on one machine, every part a real process: PostgreSQL as the backend (database
/// <c>ferry_backend</c> of the cluster's PostgreSQL, the CA keys sealed with <c>auth.ca_key_encryption</c>); two auth
/// servers on it — auth 1 is the cluster's <c>ferryd</c> without its agent section, auth 2 a second <c>ferryd</c> with
/// the same <c>auth:</c> section, its own data dir and ports, and no proxy (<c>proxy: { enabled: false }</c>: an
/// auth-only server, as in docs/deployment-ha.md); two standalone proxies whose
/// <c>auth_addr</c> lists auth 1 then auth 2; one <c>ferry-agent</c> configured with both proxies, serving
/// <see cref="Database"/> (the cluster's PostgreSQL) with table <c>ha_chaos</c> in <c>app</c>.
/// </summary>
public sealed class HaClusterFixture : IAsyncLifetime
{
    /// <summary>The database name the agent serves.</summary>
    public const string Database = "pgha";

    public FerryCluster Cluster { get; private set; } = null!;

    /// <summary>Auth 2's API port (auth 1's is <see cref="FerryCluster.AuthPort"/>).</summary>
    public int Auth2Port { get; private set; }

    public ManagedServerProcess Auth2 { get; private set; } = null!;

    /// <summary>The proxy ports auth 2's file still names under <c>proxy:</c> (with <c>enabled: false</c>): nothing listens there.</summary>
    public IReadOnlyList<int> Auth2DisabledProxyPorts { get; private set; } = [];

    public FerryCluster.MeshProxy ProxyA { get; private set; } = null!;

    public FerryCluster.MeshProxy ProxyB { get; private set; } = null!;

    public ManagedServerProcess Agent { get; private set; } = null!;

    /// <summary>The last lines of every process's log, for failure messages.</summary>
    public string Logs()
    {
        static string Tail(string? log) => log is null || log.Length <= 6000 ? log ?? "" : "…" + log[^6000..];
        return $"\n--- auth 1:\n{Tail(Cluster.FerrydLog)}\n--- auth 2:\n{Tail(Auth2?.Log)}\n--- proxy A:\n{Tail(ProxyA?.Log)}\n--- proxy B:\n{Tail(ProxyB?.Log)}\n--- agent:\n{Tail(Agent?.Log)}";
    }

    public async Task InitializeAsync()
    {
        Cluster = await FerryCluster.StartAsync(authOptions: PostgresBackendEndToEndTests.MigrateToPostgresBackendAsync);
        await Cluster.Postgres.PsqlAsync("CREATE TABLE ha_chaos (tag text NOT NULL); GRANT SELECT, INSERT ON ha_chaos TO alice", "app");

        // Auth 1: the cluster's ferryd on the PostgreSQL backend, restarted without its in-process agent.
        var config = Path.Combine(Cluster.Root, "ferry.yaml");
        var text = await File.ReadAllTextAsync(config);
        var auth1 = text[..text.IndexOf("\nagent:", StringComparison.Ordinal)] + "\n";
        await File.WriteAllTextAsync(config, auth1);
        Cluster.KillFerryd();
        await Cluster.RestartFerrydAsync();

        // Auth 2: the same auth section (backend, CA key-encryption key), its own data dir and ports, auth only.
        Auth2Port = FreePort.Next();
        Auth2DisabledProxyPorts = [FreePort.Next(), FreePort.Next()];
        var auth2 = auth1.Replace($"data_dir: {Cluster.DataDir}", $"data_dir: {Path.Combine(Cluster.Root, "auth2-data")}", StringComparison.Ordinal)
            .Replace("\nproxy:\n", "\nproxy:\n  enabled: false\n", StringComparison.Ordinal);
        Assert.Contains("enabled: false", auth2, StringComparison.Ordinal);
        foreach (var (from, to) in new[] { (Cluster.AuthPort, Auth2Port), (Cluster.ProxyPort, Auth2DisabledProxyPorts[0]), (Cluster.MySqlPort, Auth2DisabledProxyPorts[1]), (Cluster.DiagPort, FreePort.Next()) })
        {
            auth2 = auth2.Replace($"127.0.0.1:{from}", $"127.0.0.1:{to}", StringComparison.Ordinal);
        }
        var auth2Config = Path.Combine(Cluster.Root, "auth2.yaml");
        await File.WriteAllTextAsync(auth2Config, auth2);
        Auth2 = await FerryCluster.StartFerrydAsync(auth2Config, "ferryd ready", "auth server 2");

        ProxyA = await Cluster.StartMeshProxyAsync("ha-proxy-a", [Cluster.AuthPort, Auth2Port]);
        ProxyB = await Cluster.StartMeshProxyAsync("ha-proxy-b", [Cluster.AuthPort, Auth2Port]);
        Agent = await Cluster.StartMeshAgentAsync("ha-agent", [ProxyA.Port, ProxyB.Port], Database);
    }

    /// <summary>
    /// Signs <paramref name="admin"/> in to the web UI of the auth server at <paramref name="port"/> (password + TOTP);
    /// returns a client holding its session cookie and sending its CSRF token.
    /// </summary>
    public static async Task<HttpClient> WebSignInAsync(int port, FerryCluster.UserSecrets admin)
    {
        var handler = new SocketsHttpHandler
        {
            CookieContainer = new CookieContainer(),
            UseCookies = true,
            AllowAutoRedirect = false,
            SslOptions = { RemoteCertificateValidationCallback = static (_, _, _, _) => true },
        };
        var web = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"), Timeout = TimeSpan.FromSeconds(30) };
        using var login = await web.PostAsync("/web/api/login", Json(new JsonObject
        {
            ["user"] = admin.User,
            ["password"] = admin.Password,
            ["otp"] = Totp.Code(admin.TotpSecret, DateTimeOffset.UtcNow),
        }));
        var body = await login.Content.ReadAsStringAsync();
        Assert.True(login.IsSuccessStatusCode, $"web sign-in on 127.0.0.1:{port}: {(int)login.StatusCode} {body}");
        web.DefaultRequestHeaders.Add("X-Ferry-Csrf", JsonNode.Parse(body)!["csrf_token"]!.GetValue<string>());
        return web;
    }

    /// <summary>Locks <paramref name="user"/> through the web admin API of the signed-in <paramref name="web"/> client.</summary>
    public static async Task LockUserAsync(HttpClient web, string user, string message)
    {
        using var added = await web.PostAsync("/web/api/admin/locks", Json(new JsonObject { ["kind"] = "user", ["target"] = user, ["message"] = message }));
        Assert.True(added.StatusCode == HttpStatusCode.Created, $"lock on {user}: {(int)added.StatusCode} {await added.Content.ReadAsStringAsync()}");
    }

    private static StringContent Json(JsonObject body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    public async Task DisposeAsync()
    {
        Agent?.Stop(15, TimeSpan.FromSeconds(10));
        Agent?.Dispose();
        ProxyA?.Dispose();
        ProxyB?.Dispose();
        Auth2?.Stop(15, TimeSpan.FromSeconds(10));
        Auth2?.Dispose();
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
    }
}
