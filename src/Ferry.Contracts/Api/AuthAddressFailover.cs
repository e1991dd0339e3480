using System.Net.Sockets;

namespace Ferry.Contracts;

/// <summary>
/// Connects to the first of several API addresses that accepts: the preferred one (the last that worked) first, then the
/// others in order, each within its own connect timeout, with a short jittered pause between tries so that many hosts
/// losing the same auth server do not hit the next one in lock step. TLS and the server check run on the stream
/// afterwards as for a single address.
/// </summary>
internal sealed class AuthAddressFailover
{
    private readonly (string Host, int Port, string Text)[] _addresses;
    private readonly TimeSpan _attemptTimeout;
    private readonly Action<string, string, string>? _failover;
    private int _preferred;

    public AuthAddressFailover(IReadOnlyList<string> addresses, TimeSpan connectTimeout, Action<string, string, string>? failover)
    {
        _addresses = [.. addresses.Select(Parse)];
        _attemptTimeout = connectTimeout < TimeSpan.FromSeconds(3) ? connectTimeout : TimeSpan.FromSeconds(3);
        _failover = failover;
    }

    /// <summary>Long enough for every address to be tried once, with the pauses between.</summary>
    public TimeSpan TotalConnectTimeout => (_attemptTimeout + TimeSpan.FromMilliseconds(300)) * _addresses.Length;

    public string Preferred => _addresses[Volatile.Read(ref _preferred)].Text;

    public async ValueTask<Stream> ConnectAsync(System.Net.Http.SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var start = Volatile.Read(ref _preferred);
        Exception? last = null;
        for (var i = 0; i < _addresses.Length; i++)
        {
            var index = (start + i) % _addresses.Length;
            if (i > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50 + Random.Shared.Next(0, 200)), ct).ConfigureAwait(false);
            }

            var (host, port, text) = _addresses[index];
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
                attempt.CancelAfter(_attemptTimeout);
                await socket.ConnectAsync(host, port, attempt.Token).ConfigureAwait(false);
                if (index != start && Interlocked.CompareExchange(ref _preferred, index, start) == start)
                {
                    _failover?.Invoke(_addresses[start].Text, text, last?.Message ?? "unreachable");
                }

                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (Exception e) when (e is SocketException || (e is OperationCanceledException && !ct.IsCancellationRequested))
            {
                socket.Dispose();
                last = e is OperationCanceledException ? new TimeoutException($"{text} did not accept within {_attemptTimeout.TotalSeconds:0.#} s") : e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw new HttpRequestException($"no auth API address answered ({string.Join(", ", _addresses.Select(a => a.Text))}): {last?.Message}", last);
    }

    private static (string, int, string) Parse(string hostPort)
    {
        var uri = new Uri("https://" + hostPort);
        return (uri.HostNameType == UriHostNameType.IPv6 ? uri.Host.Trim('[', ']') : uri.IdnHost, uri.Port, hostPort);
    }
}
