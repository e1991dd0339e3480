using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Ferry.Config;
using Ferry.Contracts;
using Ferry.Identity;
using Ferry.Testing;

namespace Ferry.Auth.Tests;

/// <summary>
/// Single sign-on across two auth services on one PostgreSQL backend, with the real OpenID Connect provider and a real
/// headless browser: the login starts on A, the provider's callback is handled by B, the result is collected on A.
/// </summary>
public sealed class SharedSsoTests(PostgresBackendServer pg) : IClassFixture<PostgresBackendServer>, IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private const string ClientId = "ferry-shared";

    private const string Role = """
        kind: role
        name: sso-dba
        options: { max_session_ttl: 8h }
        allow:
          db_labels: { env: dev }
          db_names: [app]
          db_users: ["{{external.db_users}}"]
        """;

    [Fact]
    public async Task SsoLogin_StartedOnA_CallbackOnB_ResultOnA_OnceOnly()
    {
        // Where the provider sends the browser: a loopback page standing in for the proxy in front of both servers.
        var port = FreePort();
        var callback = $"http://127.0.0.1:{port}/v1/sso/callback";
        using var landing = new HttpListener();
        landing.Prefixes.Add($"http://127.0.0.1:{port}/");
        landing.Start();
        var serving = Task.Run(async () =>
        {
            while (landing.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await landing.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                try
                {
                    context.Response.StatusCode = 200;
                    await context.Response.OutputStream.WriteAsync("callback reached"u8.ToArray());
                    context.Response.Close();
                }
                catch (HttpListenerException)
                {
                    // The client read the redirect and closed before this page was written (broken pipe): it only has
                    // to be reachable, and the next request is served as before.
                    context.Response.Abort();
                }
            }
        });

        var clientSecret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        using var provider = await OidcProviderFixture.StartAsync(new OidcClient(ClientId, clientSecret, callback));
        var secretFile = Path.Combine(_dir.Path, "client-secret");
        await File.WriteAllTextAsync(secretFile, clientSecret + "\n");
        File.SetUnixFileMode(secretFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var keyFile = Path.Combine(_dir.Path, "ca.key");
        await File.WriteAllTextAsync(keyFile, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var conn = await pg.NewDatabaseAsync();
        var backend = new BackendConfig { Kind = BackendKind.Postgres, ConnString = conn, CaKeyEncryption = new CaKeyEncryptionConfig { KeyFile = keyFile } };
        SsoConnectorConfig[] connectors =
        [
            new SsoConnectorConfig
            {
                Name = "idp",
                IssuerUrl = provider.IssuerText,
                ClientId = ClientId,
                ClientSecretFile = secretFile,
                RedirectUrl = callback,
                Scopes = ["openid", "email", "profile", "groups"],
                ClaimsToRoles = [new ClaimRoleRule { Claim = "groups", Value = "dba", Roles = ["sso-dba"] }],
            },
        ];
        AuthServiceOptions Options(string id) => new()
        {
            DataDir = Path.Combine(_dir.Path, id),
            ClusterName = "test",
            ServerId = id,
            Backend = backend,
            SsoConnectors = connectors,
            SweepAccessRequests = false,
        };
        await using var a = await AuthService.OpenAsync(Options("auth-a"), new CapturingAuditSink());
        await using var b = await AuthService.OpenAsync(Options("auth-b"), new CapturingAuditSink());
        var roleFile = Path.Combine(_dir.Path, "role.yaml");
        await File.WriteAllTextAsync(roleFile, Role);
        var config = Path.Combine(_dir.Path, "ferry.yaml");
        await File.WriteAllTextAsync(config, $"cluster_name: test\ndata_dir: {_dir.Path}\nauth:\n  backend: {{ type: postgres, conn_string: \"{conn}\" }}\n  ca_key_encryption: {{ key_file: {keyFile} }}\n");
        var (applied, _, applyError) = await AdminRunner.RunAsync(_dir.Path, "--config", config, "roles", "apply", "-f", roleFile);
        Assert.True(applied == 0, applyError);

        using var key = KeyPair.Generate();
        var secret = RandomNumberGenerator.GetBytes(32);
        var started = await a.StartSsoLoginAsync("idp", new SsoLoginRequest
        {
            PublicKeyPem = key.ExportPublicKeyPem(),
            RedirectUrl = "http://127.0.0.1:1/done",
            SecretSha256 = Convert.ToHexStringLower(SHA256.HashData(secret)),
        }, "10.0.0.7", web: false, default);

        // The result secret is stored only hashed.
        var stored = System.Text.Encoding.UTF8.GetString((await a.Backend.GetAsync("/sso/pending/" + started.RequestId))!.Value);
        Assert.DoesNotContain(Convert.ToHexStringLower(secret), stored, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(secret), stored, StringComparison.Ordinal);

        var (_, browser) = await provider.BrowserLoginAsync(started.AuthUrl!, "alice");
        var line = browser.Split('\n').FirstOrDefault(l => l.StartsWith("callback-url=", StringComparison.Ordinal));
        Assert.True(line is not null, browser + provider.Log);
        var query = System.Web.HttpUtility.ParseQueryString(new Uri(line["callback-url=".Length..].Trim()).Query);

        // Not finished yet: A says so (the result is not there before the callback).
        var early = await Assert.ThrowsAsync<AuthException>(() => a.TakeSsoResultAsync(new SsoResultRequest { RequestId = started.RequestId, Secret = Convert.ToHexStringLower(secret) }, "10.0.0.7"));
        Assert.Equal(409, early.StatusCode);

        var outcome = await b.CompleteSsoLoginAsync(query["state"], query["code"], null, null, "10.0.0.7");
        Assert.True(outcome.Status == 302, outcome.Message);

        // The same state again, on either server: used.
        Assert.Equal(400, (await a.CompleteSsoLoginAsync(query["state"], query["code"], null, null, "10.0.0.7")).Status);

        // A wrong secret does not spoil the login; the right one collects it once, on A.
        await Assert.ThrowsAsync<AuthException>(() => a.TakeSsoResultAsync(new SsoResultRequest { RequestId = started.RequestId, Secret = Convert.ToHexStringLower(new byte[32]) }, "10.0.0.7"));
        var result = await a.TakeSsoResultAsync(new SsoResultRequest { RequestId = started.RequestId, Secret = Convert.ToHexStringLower(secret) }, "10.0.0.7");
        using var certificate = TlsCertificates.FromPem(result.CertificatePem, key.ExportPrivateKeyPem());
        var verified = a.UserVerifier.VerifyUser(certificate);
        Assert.True(verified.IsValid, verified.Message);
        Assert.Equal("alice@example.com", verified.Identity!.User);
        var again = await Assert.ThrowsAsync<AuthException>(() => b.TakeSsoResultAsync(new SsoResultRequest { RequestId = started.RequestId, Secret = Convert.ToHexStringLower(secret) }, "10.0.0.7"));
        Assert.Equal(404, again.StatusCode);

        // Close, not Stop and then Dispose: the managed HttpListener unregisters its port on each of those, and the
        // second unregistration binds the port again (failing if another test has taken it meanwhile).
        landing.Close();
        await serving;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
