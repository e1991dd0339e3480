using System.Net.Sockets;
using System.Text;

namespace Ferry.Client.Tests;

public sealed class LoopbackRedirectListenerTests
{
    private const string RequestId = "req-0123456789abcdef";

    [Fact]
    public void Start_ListensOnIpv4LoopbackWithARandomPortAndAFixedPath()
    {
        using var listener = LoopbackRedirectListener.Start();
        Assert.Equal("127.0.0.1", listener.RedirectUrl.Host);
        Assert.NotEqual(0, listener.RedirectUrl.Port);
        Assert.Equal("/ferry/sso/callback", listener.RedirectUrl.AbsolutePath);
    }

    [Fact]
    public async Task WaitAsync_RefusesOtherPathsMethodsAndRequestIds_ThenAnswersTheExpectedOneWithThePageItWasGiven()
    {
        using var listener = LoopbackRedirectListener.Start();
        var calls = new List<LoopbackCallback>();
        var wait = listener.WaitAsync(RequestId, c =>
        {
            calls.Add(c);
            return Task.FromResult(LoopbackPage.Success("Logged in", "close <this> tab"));
        }, CancellationToken.None);

        var path = listener.RedirectUrl.AbsolutePath;
        Assert.StartsWith("HTTP/1.1 404", await GetAsync(listener, "GET /favicon.ico HTTP/1.1"));
        Assert.StartsWith("HTTP/1.1 405", await GetAsync(listener, $"POST {path}?request_id={RequestId}&status=ok HTTP/1.1"));
        Assert.StartsWith("HTTP/1.1 400", await GetAsync(listener, $"GET {path}?request_id=someone-else&status=ok HTTP/1.1"));
        Assert.StartsWith("HTTP/1.1 400", await GetAsync(listener, $"GET {path}?status=ok HTTP/1.1"));
        Assert.StartsWith("HTTP/1.1 400", await GetAsync(listener, "NONSENSE"));
        Assert.False(wait.IsCompleted);
        Assert.Empty(calls);

        var answer = await GetAsync(listener, $"GET {path}?request_id={RequestId}&status=error&error=no%20role+mapped HTTP/1.1");
        Assert.StartsWith("HTTP/1.1 200", answer);
        Assert.Contains("close &lt;this&gt; tab", answer, StringComparison.Ordinal);
        Assert.Contains("Content-Security-Policy: default-src 'none'", answer, StringComparison.Ordinal);
        var callback = await wait;
        Assert.Equal(new LoopbackCallback(RequestId, "error", "no role mapped"), callback);
        Assert.Single(calls);
    }

    [Fact]
    public async Task WaitAsync_OversizedRequestHead_IsRefusedAndTheWaitGoesOn()
    {
        using var listener = LoopbackRedirectListener.Start();
        var wait = listener.WaitAsync(RequestId, _ => Task.FromResult(LoopbackPage.Success("ok", "ok")), CancellationToken.None);
        var huge = $"GET {listener.RedirectUrl.AbsolutePath}?request_id={RequestId}&pad={new string('x', LoopbackRedirectListener.MaxRequestBytes)} HTTP/1.1";
        var refused = await GetAsync(listener, huge);
        Assert.True(refused.Length == 0 || refused.StartsWith("HTTP/1.1 400", StringComparison.Ordinal), refused); // 400, or reset before it was read
        Assert.False(wait.IsCompleted);
        Assert.StartsWith("HTTP/1.1 200", await GetAsync(listener, $"GET {listener.RedirectUrl.AbsolutePath}?request_id={RequestId}&status=ok HTTP/1.1"));
        Assert.Equal("ok", (await wait).Status);
    }

    [Fact]
    public async Task WaitAsync_Cancelled_StopsListening()
    {
        using var listener = LoopbackRedirectListener.Start();
        using var cts = new CancellationTokenSource();
        var wait = listener.WaitAsync(RequestId, _ => Task.FromResult(LoopbackPage.Success("ok", "ok")), cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
        using var client = new TcpClient();
        await Assert.ThrowsAsync<SocketException>(() => client.ConnectAsync("127.0.0.1", listener.RedirectUrl.Port, CancellationToken.None).AsTask());
    }

    [Fact]
    public void ParseQuery_FirstValueWins_AndDecodes()
    {
        var q = LoopbackRedirectListener.ParseQuery("request_id=a&request_id=b&error=clock+skew%3A%205m&flag");
        Assert.Equal("a", q["request_id"]);
        Assert.Equal("clock skew: 5m", q["error"]);
        Assert.Equal("", q["flag"]);
    }

    private static async Task<string> GetAsync(LoopbackRedirectListener listener, string requestLine)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", listener.RedirectUrl.Port, CancellationToken.None);
        var stream = client.GetStream();
        var request = Encoding.ASCII.GetBytes(requestLine + "\r\nHost: 127.0.0.1\r\n\r\n");
        try
        {
            await stream.WriteAsync(request, CancellationToken.None);
        }
        catch (IOException)
        {
            // The listener may answer and close before an oversized request is fully written.
        }

        using var reader = new StreamReader(stream, Encoding.UTF8);
        try
        {
            return await reader.ReadToEndAsync(CancellationToken.None);
        }
        catch (IOException)
        {
            return "";
        }
    }
}
