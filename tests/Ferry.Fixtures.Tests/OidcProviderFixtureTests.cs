using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Ferry.Testing;

namespace Ferry.Fixtures.Tests;

/// <summary>The test identity provider is real: discovery, PKCE required, Chromium signing in through its pages, ID tokens with the users' claims, key rotation, spoiled tokens.</summary>
public sealed class OidcProviderFixtureTests
{
    [Fact]
    public async Task ChromiumSignsIn_TheCodeExchangesForAnIdTokenWithTheUsersClaims_RotationAndSpoilingChangeTheToken()
    {
        using var loopback = new TcpListener(IPAddress.Loopback, 0);
        loopback.Start();
        var redirect = $"http://127.0.0.1:{((IPEndPoint)loopback.LocalEndpoint).Port}/cb";
        var serve = ServeAsync(loopback);
        using var provider = await OidcProviderFixture.StartAsync(new OidcClient("rp", "rp-secret", redirect));
        using var http = new HttpClient();

        var discovery = JsonNode.Parse(await http.GetStringAsync(new Uri(provider.Issuer, "/.well-known/openid-configuration")))!;
        Assert.Equal(provider.IssuerText, discovery["issuer"]!.GetValue<string>());

        // Without PKCE the provider refuses the authorization request.
        using (var noRedirect = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }))
        {
            var refused = await noRedirect.GetAsync(new Uri(provider.Issuer, $"/auth?client_id=rp&response_type=code&scope=openid&redirect_uri={Uri.EscapeDataString(redirect)}&state=s&nonce=n"));
            Assert.Contains("PKCE", Uri.UnescapeDataString(refused.Headers.Location?.ToString() ?? ""), StringComparison.Ordinal);
        }

        var carol = await LoginAsync(provider, http, redirect, "carol");
        Assert.Equal("carol@example.com", carol["email"]!.GetValue<string>());
        Assert.Equal(["dba"], carol["groups"]!.AsArray().Select(g => g!.GetValue<string>()));
        Assert.Equal(["carol_db"], carol["db_users"]!.AsArray().Select(g => g!.GetValue<string>()));
        Assert.Equal("urn:ferry:mfa", carol["acr"]!.GetValue<string>());
        Assert.Equal("rp", carol["aud"]!.GetValue<string>());

        var before = await provider.KidsAsync();
        var kid = await provider.RotateSigningKeyAsync();
        Assert.Equal([kid, .. before], await provider.KidsAsync());
        var afterRotation = await LoginAsync(provider, http, redirect, "alice");
        Assert.Equal(kid, afterRotation["__kid"]!.GetValue<string>());

        await provider.SetIdTokenModeAsync(IdTokenMode.WrongAudience);
        Assert.Equal("some-other-client", (await LoginAsync(provider, http, redirect, "bob"))["aud"]!.GetValue<string>());
        await provider.SetIdTokenModeAsync(IdTokenMode.Expired);
        Assert.True((await LoginAsync(provider, http, redirect, "bob"))["exp"]!.GetValue<long>() < DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        await provider.SetIdTokenModeAsync(IdTokenMode.Normal);
        loopback.Stop();
        await serve;
    }

    /// <summary>Authorization code flow with PKCE driven by Chromium; returns the ID token's payload (plus its header's kid as __kid).</summary>
    private static async Task<JsonObject> LoginAsync(OidcProviderFixture provider, HttpClient http, string redirect, string user)
    {
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        var challenge = Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var url = $"{provider.IssuerText}/auth?client_id=rp&response_type=code&scope=openid%20email%20groups&redirect_uri={Uri.EscapeDataString(redirect)}&state=st&nonce=nn&code_challenge={challenge}&code_challenge_method=S256";
        var (code, output) = await provider.BrowserLoginAsync(url, user, "--until", redirect);
        Assert.True(code == 0, output + provider.Log);
        var final = output.Split('\n').First(l => l.StartsWith("final-url=", StringComparison.Ordinal))["final-url=".Length..];
        var authCode = System.Web.HttpUtility.ParseQueryString(new Uri(final).Query)["code"]!;
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(provider.Issuer, "/token"))
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code", ["code"] = authCode, ["redirect_uri"] = redirect, ["code_verifier"] = verifier,
            }),
        };
        request.Headers.Authorization = new("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes("rp:rp-secret")));
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        var parts = JsonNode.Parse(body)!["id_token"]!.GetValue<string>().Split('.');
        var payload = JsonNode.Parse(Base64UrlDecode(parts[1]))!.AsObject();
        payload["__kid"] = JsonNode.Parse(Base64UrlDecode(parts[0]))!["kid"]!.GetValue<string>();
        return payload;
    }

    private static async Task ServeAsync(TcpListener listener)
    {
        try
        {
            while (true)
            {
                using var client = await listener.AcceptTcpClientAsync();
                var stream = client.GetStream();
                var buffer = new byte[8192];
                _ = await stream.ReadAsync(buffer);
                await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"u8.ToArray());
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
        }
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] Base64UrlDecode(string s) => Convert.FromBase64String(s.Replace('-', '+').Replace('_', '/').PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
}
