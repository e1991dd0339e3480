using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using Ferry.Contracts;
using Ferry.Auth.Server;
using Ferry.Auth.Users;
using Ferry.Identity;

namespace Ferry.Auth.Tests;

/// <summary>Starts a real <see cref="AuthServer"/> on 127.0.0.1 over a temp data dir, and makes HTTPS clients for it.</summary>
internal static class AuthTestHost
{
    public static Task<AuthServer> StartAsync(string dataDir, LoginThrottleOptions? throttle = null, IReadOnlyList<string>? healthCheckUsers = null) =>
        AuthServer.StartAsync(new AuthServerOptions
        {
            HealthCheckUsers = healthCheckUsers ?? [],
            DataDir = dataDir,
            ListenAddress = "127.0.0.1:0",
            ClusterName = "test",
            ServerId = "auth-test",
            Throttle = throttle ?? new LoginThrottleOptions(),
        });

    /// <summary>An HTTPS client that trusts only the cluster's host CA (role auth) and presents <paramref name="clientCertificate"/> if given.</summary>
    public static HttpClient Client(AuthServer server, X509Certificate2? clientCertificate = null)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            certificate is not null
            && server.Service.HostVerifier.VerifyHost(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()), HostRole.Auth).IsValid;
        if (clientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = [clientCertificate];
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate;
        }

        return new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{server.Port}"), Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>Current TOTP code for a base32 secret, <paramref name="stepOffset"/> steps from now.</summary>
    public static string Otp(string secret, int stepOffset = 0) =>
        Totp.Code(Base32.Decode(secret), Totp.StepAt(DateTimeOffset.UtcNow) + stepOffset);

    /// <summary>Logs in over HTTPS; returns the HTTP response.</summary>
    public static Task<HttpResponseMessage> LoginAsync(HttpClient client, string user, string password, string otp, KeyPair key, long? ttlSeconds = null) =>
        client.PostAsJsonAsync("/v1/login", new LoginRequest
        {
            User = user,
            Password = password,
            Otp = otp,
            PublicKeyPem = key.ExportPublicKeyPem(),
            TtlSeconds = ttlSeconds,
        }, AuthApiJsonContext.Default.LoginRequest);

    public static async Task<T> ReadAsync<T>(HttpResponseMessage response, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return System.Text.Json.JsonSerializer.Deserialize(body, type)!;
    }

    public static async Task<string> ErrorAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        return System.Text.Json.JsonSerializer.Deserialize(body, AuthApiJsonContext.Default.ErrorResponse)!.Error;
    }

    /// <summary>Joins as a host with a fresh token and returns a TLS-ready host certificate.</summary>
    public static async Task<X509Certificate2> JoinAsync(AuthServer server, string hostId, string role)
    {
        var token = await server.Service.AddTokenAsync(role, TimeSpan.FromMinutes(5), false, "test");
        using var key = KeyPair.Generate();
        using var client = Client(server);
        var response = await client.PostAsJsonAsync("/v1/join", new JoinRequest
        {
            Token = token.Token!,
            HostId = hostId,
            Role = role,
            PublicKeyPem = key.ExportPublicKeyPem(),
            DnsNames = [hostId + ".example"],
            Ips = ["127.0.0.1"],
        }, AuthApiJsonContext.Default.JoinRequest);
        var issued = await ReadAsync(response, AuthApiJsonContext.Default.HostCertificateResponse);
        return TlsCertificates.FromPem(issued.CertificatePem, key.ExportPrivateKeyPem());
    }
}

/// <summary>Helpers for the host-scope tests: agents registering databases, users' certificates.</summary>
internal static class HostScope
{
    public static AgentDatabasesReport Databases(params (string Name, string Env)[] dbs) => new()
    {
        Databases = [.. dbs.Select(d => new DatabaseEntry { Name = d.Name, Protocol = "postgres", Labels = new() { ["env"] = d.Env } })],
    };

    /// <summary>Registers databases as the agent of <paramref name="agent"/>; returns the answer.</summary>
    public static async Task<AgentDatabasesResponse> RegisterAsync(HttpClient agent, params (string Name, string Env)[] dbs) =>
        await AuthTestHost.ReadAsync(await agent.PostAsJsonAsync("/v1/agents/databases", Databases(dbs), AuthApiJsonContext.Default.AgentDatabasesReport),
            AuthApiJsonContext.Default.AgentDatabasesResponse);

    public static async Task<X509Certificate2> LoginAsync(Ferry.Auth.Server.AuthServer server, string user, string password, string secret, int stepOffset = 0)
    {
        using var client = AuthTestHost.Client(server);
        using var key = KeyPair.Generate();
        var response = await AuthTestHost.LoginAsync(client, user, password, AuthTestHost.Otp(secret, stepOffset), key);
        var issued = await AuthTestHost.ReadAsync(response, AuthApiJsonContext.Default.UserCertificateResponse);
        return TlsCertificates.FromPem(issued.CertificatePem, key.ExportPrivateKeyPem());
    }

    public static DbCertificateRequest DbCert(string database, string dbUser, X509Certificate2? user, string dbName = "")
    {
        using var key = KeyPair.Generate();
        return new DbCertificateRequest
        {
            Database = database,
            DbUser = dbUser,
            DbName = dbName,
            UserCertificatePem = user?.ExportCertificatePem() ?? "",
            PublicKeyPem = key.ExportPublicKeyPem(),
        };
    }
}
