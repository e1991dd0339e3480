using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Ferry.Audit;
using Ferry.Auth.Server;
using Ferry.Contracts;
using Ferry.Identity;

namespace Ferry.Auth.Tests;

/// <summary>
/// The access-request API over real HTTPS (an in-process <see cref="AuthServer"/> with users logged in by password and
/// TOTP, an agent registering databases), the admin commands on the same data directory, and the signed webhook seen
/// by a real HTTP receiver on 127.0.0.1.
/// </summary>
public sealed class AccessRequestApiTests : IAsyncLifetime
{
    private const string Secret = "0123456789abcdef-shared-webhook-secret";

    private readonly TempDirectory _dir = new();
    private readonly HttpListener _receiver = new();
    private readonly Channel<(string Signature, string Event, byte[] Body)> _received = Channel.CreateUnbounded<(string, string, byte[])>();
    private int _failFirst = 1;
    private Task _receiving = Task.CompletedTask;
    private AuthServer _server = null!;

    public async Task InitializeAsync()
    {
        var port = FreePort.Next();
        _receiver.Prefixes.Add($"http://127.0.0.1:{port}/");
        _receiver.Start();
        _receiving = Task.Run(ReceiveAsync);
        var secretFile = Path.Combine(_dir.Path, "webhook.secret");
        await File.WriteAllTextAsync(secretFile, Secret + "\n");

        var roles = Path.Combine(_dir.Path, "roles.yaml");
        await File.WriteAllTextAsync(roles, AccessRequestTests.Roles);
        Assert.Equal(0, (await AdminRunner.RunAsync(_dir.Path, "roles", "apply", "-f", roles)).Code);
        _server = await AuthServer.StartAsync(new AuthServerOptions
        {
            DataDir = _dir.Path,
            ListenAddress = "127.0.0.1:0",
            ClusterName = "test",
            ServerId = "auth-test",
            Webhook = new Ferry.Config.WebhookConfig { Url = new Uri($"http://127.0.0.1:{port}/hooks/ferry"), SecretFile = secretFile, MaxAttempts = 3 },
        });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        // Close only: Stop followed by Close unregisters the port twice, and the second time the managed HttpListener
        // binds it again, which fails when another test has taken the port meanwhile ("Address already in use").
        _receiver.Close();
        await _receiving;
        _dir.Dispose();
    }

    /// <summary>The receiver: answers the first POST 503 (so the sender retries), then 204; records what came.</summary>
    private async Task ReceiveAsync()
    {
        while (_receiver.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _receiver.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            await _received.Writer.WriteAsync((context.Request.Headers["Ferry-Signature"] ?? "", context.Request.Headers["Ferry-Event"] ?? "", body.ToArray()));
            context.Response.StatusCode = Interlocked.Exchange(ref _failFirst, 0) == 1 ? 503 : 204;
            context.Response.Close();
        }
    }

    /// <summary>What a receiver does with the shared secret: recompute HMAC-SHA256 over "t.body" and compare.</summary>
    private static bool SignatureIsValid(string header, byte[] body)
    {
        var parts = header.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var signed = Encoding.ASCII.GetBytes(parts["t"] + ".").Concat(body).ToArray();
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), signed));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(parts["v1"]))
            && Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - long.Parse(parts["t"], System.Globalization.CultureInfo.InvariantCulture)) < 300;
    }

    private async Task<(string Signature, string Event, byte[] Body)> NextNotificationAsync()
    {
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await _received.Reader.ReadAsync(wait.Token);
    }

    private async Task<X509Certificate2> UserAsync(string name, string roles)
    {
        var (password, secret, _) = await AdminRunner.AddUserAsync(_dir.Path, name, roles);
        return await HostScope.LoginAsync(_server, name, password, secret);
    }

    private static async Task<(HttpStatusCode Status, AccessRequestInfo? Info, string Error)> SendAsync(HttpClient client, string path, object body)
    {
        var response = body switch
        {
            AccessRequestCreate c => await client.PostAsJsonAsync(path, c, AuthApiJsonContext.Default.AccessRequestCreate),
            AccessRequestReview r => await client.PostAsJsonAsync(path, r, AuthApiJsonContext.Default.AccessRequestReview),
            AccessRequestDrop d => await client.PostAsJsonAsync(path, d, AuthApiJsonContext.Default.AccessRequestDrop),
            _ => throw new ArgumentException("unknown body"),
        };
        var text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode
            ? (response.StatusCode, JsonSerializer.Deserialize(text, AuthApiJsonContext.Default.AccessRequestInfo), "")
            : (response.StatusCode, null, JsonSerializer.Deserialize(text, AuthApiJsonContext.Default.ErrorResponse)!.Error);
    }

    [Fact]
    public async Task RequestReviewUseAndDrop_OverHttps_WithSignedWebhooksAndAdminCommands()
    {
        using var agentCert = await AuthTestHost.JoinAsync(_server, "agent-1", "agent");
        using var agent = AuthTestHost.Client(_server, agentCert);
        await HostScope.RegisterAsync(agent, ("orders-prod", "prod"), ("other-prod", "prod"));
        using var aliceCert = await UserAsync("alice", "dev");
        using var bobCert = await UserAsync("bob", "reviewer");
        using var alice = AuthTestHost.Client(_server, aliceCert);
        using var bob = AuthTestHost.Client(_server, bobCert);

        // A role that allow.request does not list is refused at create, with the rule named.
        var (status, _, error) = await SendAsync(alice, "/v1/access-requests", new AccessRequestCreate { Roles = ["admin"], Reason = "x" });
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("not requestable", error, StringComparison.Ordinal);

        (status, var created, _) = await SendAsync(alice, "/v1/access-requests", new AccessRequestCreate { Resources = ["db/orders-prod"], Reason = "INC-4211: fix stuck job", Reviewers = ["bob"] });
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(AccessRequestStates.Pending, created!.State);

        var pending = await AuthTestHost.ReadAsync(await bob.GetAsync("/v1/access-requests?state=pending"), AuthApiJsonContext.Default.AccessRequestsResponse);
        Assert.Equal(created.Id, Assert.Single(pending.Requests).Id);
        Assert.Equal(HttpStatusCode.BadRequest, (await bob.GetAsync("/v1/access-requests?state=bogus")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync("/v1/access-requests/" + Guid.NewGuid().ToString("D"))).StatusCode);

        (status, _, error) = await SendAsync(alice, $"/v1/access-requests/{created.Id}/review", new AccessRequestReview { Approve = true });
        Assert.Equal(HttpStatusCode.Forbidden, status);

        (status, var approved, _) = await SendAsync(bob, $"/v1/access-requests/{created.Id}/review", new AccessRequestReview { Approve = true, Reason = "go" });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(AccessRequestStates.Approved, approved!.State);

        // ferry login --request-id: the certificate names the request and carries the resource limit.
        using var key = KeyPair.Generate();
        var issued = await AuthTestHost.ReadAsync(
            await alice.PostAsJsonAsync("/v1/certs/user", new UserCertificateRequest { PublicKeyPem = key.ExportPublicKeyPem(), AccessRequestIds = [created.Id] }, AuthApiJsonContext.Default.UserCertificateRequest),
            AuthApiJsonContext.Default.UserCertificateResponse);
        using var elevated = TlsCertificates.FromPem(issued.CertificatePem, key.ExportPrivateKeyPem());
        var identity = _server.Service.UserVerifier.VerifyUser(elevated).Identity!;
        Assert.Equal([created.Id], identity.AccessRequestIds);
        Assert.Equal(["db/orders-prod"], identity.ResourceIds);
        Assert.Contains("prod-reader", identity.Roles);
        Assert.True(identity.NotAfter <= approved.AccessExpires);

        var (code, output, _) = await AdminRunner.RunAsync(_dir.Path, "requests", "ls", "--format", "json");
        Assert.Equal(0, code);
        Assert.Contains(created.Id, output, StringComparison.Ordinal);
        (code, output, _) = await AdminRunner.RunAsync(_dir.Path, "requests", "show", created.Id);
        Assert.Equal(0, code);
        Assert.Contains("bob approve", output, StringComparison.Ordinal);

        (status, var dropped, _) = await SendAsync(alice, $"/v1/access-requests/{created.Id}/drop", new AccessRequestDrop { Reason = "done" });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(AccessRequestStates.Dropped, dropped!.State);
        var l = Assert.Single(await _server.Service.ListLocksAsync());
        Assert.Equal((LockTargetKind.AccessRequest, created.Id), (l.Kind, l.Target));

        // The receiver got create (after one 503 and a retry) and review, each signed with the shared secret.
        var first = await NextNotificationAsync();
        var retried = await NextNotificationAsync();
        var review = await NextNotificationAsync();
        Assert.Equal(first.Body, retried.Body);
        Assert.Equal("access_request.create", first.Event);
        Assert.Equal("access_request.review", review.Event);
        foreach (var (signature, _, body) in new[] { first, retried, review })
        {
            Assert.True(SignatureIsValid(signature, body), signature);
        }

        Assert.False(SignatureIsValid(review.Signature, [.. review.Body, (byte)' ']));
        using var payload = JsonDocument.Parse(review.Body);
        Assert.Equal(created.Id, payload.RootElement.GetProperty("request").GetProperty("id").GetString());
        Assert.Equal("bob", payload.RootElement.GetProperty("actor").GetString());
    }

    [Fact]
    public async Task AdminApproveAndLockByRequestId_WorkOnTheDataDirectory()
    {
        using var aliceCert = await UserAsync("alice", "dev");
        using var alice = AuthTestHost.Client(_server, aliceCert);
        var (status, created, _) = await SendAsync(alice, "/v1/access-requests", new AccessRequestCreate { Roles = ["dba"], Reason = "INC-7" });
        Assert.Equal(HttpStatusCode.Created, status);

        var (code, output, error) = await AdminRunner.RunAsync(_dir.Path, "requests", "approve", created!.Id, "--reason", "on call");
        Assert.True(code == 0, error);
        Assert.Contains("approved until", output, StringComparison.Ordinal);

        (code, _, error) = await AdminRunner.RunAsync(_dir.Path, "locks", "add", "--access-request", "not-a-uuid");
        Assert.Equal(1, code);
        Assert.Contains("not an access request id", error, StringComparison.Ordinal);
        (code, output, error) = await AdminRunner.RunAsync(_dir.Path, "locks", "add", "--access-request", created.Id, "--message", "incident over");
        Assert.True(code == 0, error);
        Assert.Contains("access_request", output, StringComparison.Ordinal);

        using var key = KeyPair.Generate();
        var refused = await alice.PostAsJsonAsync("/v1/certs/user", new UserCertificateRequest { PublicKeyPem = key.ExportPublicKeyPem(), AccessRequestIds = [created.Id] }, AuthApiJsonContext.Default.UserCertificateRequest);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("incident over", await AuthTestHost.ErrorAsync(refused), StringComparison.Ordinal);
    }
}
