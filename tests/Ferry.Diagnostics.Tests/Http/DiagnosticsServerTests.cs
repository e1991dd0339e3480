using System.Net;
using System.Net.Sockets;
using System.Text;
using Ferry.Diagnostics.Http;

namespace Ferry.Diagnostics.Tests.Http;

public sealed class DiagnosticsServerTests : IAsyncDisposable
{
    private readonly Readiness _readiness = new();
    private readonly DiagnosticsServer _server;

    public DiagnosticsServerTests()
    {
        _server = new DiagnosticsServer(new IPEndPoint(IPAddress.Loopback, 0), () => "ferry_up 1\n", _readiness.Check)
        {
            RequestTimeout = TimeSpan.FromSeconds(1),
        };
        _server.Start();
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Metrics_AnswersTheExposition_WithPrometheusContentType()
    {
        var response = await RequestAsync("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", response, StringComparison.Ordinal);
        Assert.Contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n", response, StringComparison.Ordinal);
        Assert.Contains("Content-Length: 11\r\n", response, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\nferry_up 1\n", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Healthz_Answers200()
    {
        var response = await RequestAsync("GET /healthz HTTP/1.1\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readyz_Answers503WithTheReason_Until_EveryCheckPasses()
    {
        var tunnelUp = false;
        var none = await RequestAsync("GET /readyz HTTP/1.1\r\n\r\n");
        using var proxy = _readiness.Register("proxy listening", () => true);
        using var tunnel = _readiness.Register("agent tunnel up", () => tunnelUp);

        var notReady = await RequestAsync("GET /readyz HTTP/1.1\r\n\r\n");
        tunnelUp = true;
        var ready = await RequestAsync("GET /readyz?verbose HTTP/1.1\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 503 Service Unavailable\r\n", none, StringComparison.Ordinal);
        Assert.Contains("starting", none, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 503 Service Unavailable\r\n", notReady, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\nnot ready: agent tunnel up\n", notReady, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", ready, StringComparison.Ordinal);
        Assert.Contains("ok: agent tunnel up\nok: proxy listening\n", ready, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readyz_AfterTheLastCheckIsDisposed_IsNotReady()
    {
        var registration = _readiness.Register("proxy listening", () => true);
        var before = await RequestAsync("GET /readyz HTTP/1.1\r\n\r\n");
        registration.Dispose();
        var after = await RequestAsync("GET /readyz HTTP/1.1\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", before, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 503 ", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownPath_Is404_OtherMethods_Are405_Garbage_Is400()
    {
        Assert.StartsWith("HTTP/1.1 404 ", await RequestAsync("GET /nope HTTP/1.1\r\n\r\n"), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 405 ", await RequestAsync("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 400 ", await RequestAsync("hello\r\n\r\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestHead_LargerThanTheLimit_Is400()
    {
        var huge = "GET /metrics HTTP/1.1\r\nX-Filler: " + new string('a', DiagnosticsServer.MaxRequestBytes) + "\r\n\r\n";

        var response = await RequestAsync(huge);

        Assert.StartsWith("HTTP/1.1 400 ", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StalledClient_IsCut_AfterTheRequestTimeout_AndTheServerStillAnswers()
    {
        using var stalled = new TcpClient();
        await stalled.ConnectAsync(_server.EndPoint);
        await stalled.GetStream().WriteAsync("GET /metrics HTTP/1.1\r\n"u8.ToArray());

        var buffer = new byte[64];
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var read = await stalled.GetStream().ReadAsync(buffer, wait.Token);

        Assert.Equal(0, read);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", await RequestAsync("GET /healthz HTTP/1.1\r\n\r\n"), StringComparison.Ordinal);
    }

    private async Task<string> RequestAsync(string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(_server.EndPoint);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        }
        catch (IOException)
        {
            // The server may answer and close before a too-large request is written whole.
        }
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var response = new MemoryStream();
        try
        {
            await stream.CopyToAsync(response, wait.Token);
        }
        catch (IOException)
        {
            // A reset after the answer (unread request bytes) still leaves the answer read.
        }
        return Encoding.UTF8.GetString(response.ToArray());
    }
}
