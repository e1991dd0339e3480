using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Ferry.Auth;
using Ferry.Auth.Server;
using Ferry.Auth.Users;
using Totp = Ferry.Auth.Users.Totp;
using Ferry.Identity;

namespace Ferry.Web.Tests;

/// <summary>A real in-process auth service with the web UI on its listener, a manual clock, and browser-like clients.</summary>
internal sealed class WebTestHost : IAsyncDisposable
{
    private readonly TempDirectory _dir;

    private WebTestHost(AuthServer server, ManualClock clock, TempDirectory dir)
    {
        _dir = dir;
        Server = server;
        Clock = clock;
    }

    public AuthServer Server { get; }

    public ManualClock Clock { get; }

    public WebUi Web => Server.Web!;

    public static async Task<WebTestHost> StartAsync(WebOptions? web = null, LoginThrottleOptions? throttle = null)
    {
        var clock = ManualClock.AtNow();
        var dir = new TempDirectory();
        var server = await AuthServer.StartAsync(new AuthServerOptions
        {
            DataDir = dir.Path,
            ListenAddress = "127.0.0.1:0",
            ClusterName = "test",
            ServerId = "auth-test",
            Time = clock,
            Throttle = throttle ?? new LoginThrottleOptions(),
            Web = (web ?? new WebOptions()) with { SweepInterval = TimeSpan.FromHours(1) }, // swept by hand in tests
        });
        return new WebTestHost(server, clock, dir);
    }

    public async Task<UserCredentials> AddUserAsync(string name, string roles = "admin") =>
        await Server.Service.AddUserAsync(name, roles.Split(','), null, null, "test");

    public string Otp(UserCredentials user, int stepOffset = 0) =>
        Totp.Code(Base32.Decode(user.TotpSecret), Totp.StepAt(Clock.Now) + stepOffset);

    public WebBrowser Browser() => new(this);

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _dir.Dispose();
    }

    /// <summary>Keeps the web cookie like a browser; sends the CSRF header when it has one.</summary>
    internal sealed class WebBrowser : IDisposable
    {
        private readonly HttpClient _http;

        public WebBrowser(WebTestHost host)
        {
            Cookies = new CookieContainer();
            var handler = new SocketsHttpHandler { CookieContainer = Cookies, AllowAutoRedirect = false };
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && host.Server.Service.HostVerifier.VerifyHost(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()), HostRole.Auth).IsValid;
            _http = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{host.Server.Port}"), Timeout = TimeSpan.FromSeconds(60) };
        }

        public CookieContainer Cookies { get; }

        public string? Csrf { get; set; }

        public Task<HttpResponseMessage> GetAsync(string path) => _http.GetAsync(path);

        public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? json = "{}", bool csrf = true)
        {
            using var request = new HttpRequestMessage(method, path);
            if (json is not null)
            {
                request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            }

            if (csrf && Csrf is not null)
            {
                request.Headers.Add(WebUi.CsrfHeader, Csrf);
            }

            return await _http.SendAsync(request);
        }

        public Task<HttpResponseMessage> PostAsync(string path, JsonNode? body = null, bool csrf = true) =>
            SendAsync(HttpMethod.Post, path, body?.ToJsonString() ?? "{}", csrf);

        public async Task<HttpResponseMessage> LoginAsync(UserCredentials user, string otp)
        {
            var response = await PostAsync("/web/api/login", new JsonObject { ["user"] = user.User, ["password"] = user.Password, ["otp"] = otp }, csrf: false);
            if (response.IsSuccessStatusCode)
            {
                var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                Csrf = body["csrf_token"]!.GetValue<string>();
            }

            return response;
        }

        public void Dispose() => _http.Dispose();
    }
}
