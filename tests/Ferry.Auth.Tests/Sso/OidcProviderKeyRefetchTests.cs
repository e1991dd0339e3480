using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Ferry.Auth.Sso;
using Ferry.Config;

namespace Ferry.Auth.Tests.Sso;

/// <summary>
/// The JWKS refetch on an unknown <c>kid</c> against a real HTTP provider on 127.0.0.1: a flood of tokens with unknown
/// kids costs a bounded number of JWKS fetches, and a real key rotation is still picked up once the budget refills.
/// </summary>
public sealed class OidcProviderKeyRefetchTests
{
    [Fact]
    public async Task AFloodOfTokensWithUnknownKids_FetchesTheJwksABoundedNumberOfTimes_AndARotationIsPickedUpAfterTheRefill()
    {
        using var signer = TestSigner.Rsa("k1");
        using var attacker = TestSigner.Rsa("attacker");
        await using var server = await JwksServer.StartAsync(signer.PublicJwk());
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        using var provider = new OidcProvider(new SsoConnectorConfig
        {
            Name = "idp",
            IssuerUrl = server.Issuer,
            ClientId = TestSigner.ClientId,
            RedirectUrl = "https://ferry.example.com/v1/sso/callback",
        }, null, clock, null);
        var expect = new IdTokenExpectations(server.Issuer, TestSigner.ClientId, TestSigner.Nonce);

        // A good token: one JWKS fetch, then the key is cached.
        await IdTokenValidator.ValidateAsync(signer.Sign(Claims(server, clock.Now)), expect, provider, clock.Now, default);
        Assert.Equal(1, server.JwksRequests);

        // 200 tokens with a new unknown kid each, one per second (the spacing a refetch needs): each would refetch without the limit.
        const int flood = 200;
        var start = clock.Now;
        for (var i = 0; i < flood; i++)
        {
            clock.Advance(OidcProvider.MinKeyRefetchSpacing);
            var header = new System.Text.Json.Nodes.JsonObject { ["alg"] = "RS256", ["kid"] = "unknown-" + i, ["typ"] = "JWT" };
            var failure = await Assert.ThrowsAsync<SsoFailure>(async () =>
                await IdTokenValidator.ValidateAsync(attacker.Sign(Claims(server, clock.Now), header), expect, provider, clock.Now, default));
            Assert.Equal(SsoFailure.Reasons.UnknownKey, failure.Reason);
        }

        // The burst, plus one per refill period that passed: far fewer than one per token.
        var refills = (int)Math.Ceiling((clock.Now - start) / OidcProvider.KeyRefetchRefill);
        var bound = 1 + OidcProvider.KeyRefetchBurst + refills;
        Assert.InRange(server.JwksRequests, 2, bound);
        Assert.True(bound < flood / 10, $"bound {bound} for {flood} tokens");
        Assert.Equal(server.JwksRequests, provider.KeyFetches);

        // The provider rotates; the budget is spent, so right now the new kid is refused without a fetch ...
        using var rotated = TestSigner.Rsa("k2");
        server.Keys = [rotated.PublicJwk(), signer.PublicJwk()];
        var before = server.JwksRequests;
        await Assert.ThrowsAsync<SsoFailure>(async () =>
            await IdTokenValidator.ValidateAsync(rotated.Sign(Claims(server, clock.Now)), expect, provider, clock.Now, default));
        Assert.Equal(before, server.JwksRequests);

        // ... and once a refill period has passed, the rotation is picked up with one fetch.
        clock.Advance(OidcProvider.KeyRefetchRefill);
        await IdTokenValidator.ValidateAsync(rotated.Sign(Claims(server, clock.Now)), expect, provider, clock.Now, default);
        Assert.Equal(before + 1, server.JwksRequests);
    }

    private static System.Text.Json.Nodes.JsonObject Claims(JwksServer server, DateTimeOffset now) =>
        TestSigner.Claims(now, c => c["iss"] = server.Issuer);

    /// <summary>A minimal HTTP/1.1 provider on 127.0.0.1: the discovery document and a JWKS the test can change; counts JWKS requests.</summary>
    private sealed class JwksServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private Task _loop = Task.CompletedTask;
        private int _jwksRequests;

        public string Issuer { get; private set; } = "";

        public volatile JsonWebKey[] Keys = [];

        public int JwksRequests => Volatile.Read(ref _jwksRequests);

        public static Task<JwksServer> StartAsync(params JsonWebKey[] keys)
        {
            var server = new JwksServer { Keys = keys };
            server._listener.Start();
            server.Issuer = $"http://127.0.0.1:{((IPEndPoint)server._listener.LocalEndpoint).Port}";
            server._loop = server.RunAsync();
            return Task.FromResult(server);
        }

        private async Task RunAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                using (client)
                {
                    await AnswerAsync(client.GetStream());
                }
            }
        }

        private async Task AnswerAsync(NetworkStream stream)
        {
            var buffer = new byte[8192];
            var read = 0;
            while (read < buffer.Length)
            {
                var n = await stream.ReadAsync(buffer.AsMemory(read), _stop.Token);
                if (n == 0)
                {
                    return;
                }

                read += n;
                if (Encoding.ASCII.GetString(buffer, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    break;
                }
            }

            var path = Encoding.ASCII.GetString(buffer, 0, read).Split(' ')[1];
            string body;
            var status = "200 OK";
            if (path == "/.well-known/openid-configuration")
            {
                body = JsonSerializer.Serialize(new OidcDiscoveryDocument
                {
                    Issuer = Issuer,
                    AuthorizationEndpoint = Issuer + "/auth",
                    TokenEndpoint = Issuer + "/token",
                    JwksUri = Issuer + "/jwks",
                }, OidcJsonContext.Default.OidcDiscoveryDocument);
            }
            else if (path == "/jwks")
            {
                Interlocked.Increment(ref _jwksRequests);
                body = JsonSerializer.Serialize(new JsonWebKeySet { Keys = [.. Keys] }, OidcJsonContext.Default.JsonWebKeySet);
            }
            else
            {
                (status, body) = ("404 Not Found", "{}");
            }

            var bytes = Encoding.UTF8.GetBytes(body);
            var head = Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n");
            await stream.WriteAsync(head, _stop.Token);
            await stream.WriteAsync(bytes, _stop.Token);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _loop;
            _stop.Dispose();
        }
    }
}
