using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading.Channels;
using Ferry.Auth.Model;
using Ferry.Config;
using Ferry.Contracts;
using Ferry.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Ferry.Auth.Notifications;

/// <summary>
/// Sends access-request events to <c>notifications.webhook</c> in the background: a bounded queue (a full queue drops
/// the new notification, logged and counted; the API call never waits), one sender, each POST signed
/// (<see cref="WebhookSignature"/>) and retried up to <see cref="WebhookConfig.MaxAttempts"/> times with a doubling wait
/// on a network error, a timeout or a 5xx/429 answer.
/// </summary>
internal sealed class AccessRequestNotifier : IAsyncDisposable
{
    /// <summary>Notifications the queue holds before dropping new ones.</summary>
    public const int QueueCapacity = 256;

    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);

    private readonly WebhookConfig _config;
    private readonly byte[] _secret;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly HttpClient _http;
    private readonly Channel<WebhookPayload> _queue = Channel.CreateBounded<WebhookPayload>(new BoundedChannelOptions(QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sender;

    private AccessRequestNotifier(WebhookConfig config, byte[] secret, TimeProvider time, ILogger log)
    {
        _config = config;
        _secret = secret;
        _time = time;
        _log = log;
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = config.Timeout }) { Timeout = config.Timeout };
        _sender = Task.Run(SendLoopAsync);
    }

    /// <summary>Reads the secret file and starts the sender.</summary>
    /// <exception cref="InvalidOperationException">The secret file cannot be read or is shorter than 16 bytes.</exception>
    public static AccessRequestNotifier Start(WebhookConfig config, TimeProvider time, ILogger log)
    {
        byte[] secret;
        try
        {
            secret = System.Text.Encoding.UTF8.GetBytes(File.ReadAllText(config.SecretFile).Trim());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"notifications.webhook.secret_file {config.SecretFile}: {e.Message}", e);
        }

        if (secret.Length < 16)
        {
            throw new InvalidOperationException($"notifications.webhook.secret_file {config.SecretFile}: the secret must be at least 16 bytes (e.g. `openssl rand -hex 32`)");
        }

        return new AccessRequestNotifier(config, secret, time, log);
    }

    /// <summary>Queues a notification; never waits. A full queue drops it (logged, counted as dropped).</summary>
    public void Enqueue(string @event, AccessRequestInfo request, string actor)
    {
        var payload = new WebhookPayload { Event = @event, Actor = actor, Time = _time.GetUtcNow(), Request = request };
        if (!_queue.Writer.TryWrite(payload))
        {
            FerryMetrics.Notification("dropped");
            AuthLog.NotificationDropped(_log, @event, request.Id, QueueCapacity);
        }
    }

    private async Task SendLoopAsync()
    {
        try
        {
            await foreach (var payload in _queue.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                await DeliverAsync(payload, _stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task DeliverAsync(WebhookPayload payload, CancellationToken ct)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(payload, StorageJsonContext.Default.WebhookPayload);
        var backoff = FirstBackoff;
        var error = "";
        for (var attempt = 1; attempt <= _config.MaxAttempts; attempt++)
        {
            if (attempt > 1)
            {
                FerryMetrics.Notification("retried");
                await Task.Delay(backoff, _time, ct).ConfigureAwait(false);
                backoff += backoff;
            }

            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, _config.Url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.TryAddWithoutValidation(WebhookSignature.HeaderName, WebhookSignature.Create(_secret, _time.GetUtcNow().ToUnixTimeSeconds(), body));
                request.Headers.TryAddWithoutValidation("Ferry-Event", payload.Event);
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                if (status is >= 200 and < 300)
                {
                    FerryMetrics.Notification("delivered");
                    return;
                }

                error = "HTTP " + status;
                if (status is < 500 and not 429 and not 408)
                {
                    break; // the receiver refuses it: retrying will not help
                }
            }
            catch (HttpRequestException e)
            {
                error = e.Message;
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                error = $"no answer within {_config.Timeout.TotalSeconds:0.#}s";
            }
        }

        FerryMetrics.Notification("failed");
        AuthLog.NotificationFailed(_log, payload.Event, payload.Request.Id, _config.MaxAttempts, error);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _sender.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        _http.Dispose();
        _stop.Dispose();
    }
}
