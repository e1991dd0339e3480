using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.LoadGen;

/// <summary>
/// The floor under Ferry's idle-session memory: a bare .NET TLS server (SslStream over a socket, client
/// certificate required, each connection parked in a zero-byte read as Ferry's relays are) and a client
/// side that opens N such connections. Measuring the server process's RSS growth per connection shows what
/// an idle TLS connection costs in .NET on this machine before any Ferry code is involved.
/// </summary>
internal static class TlsBaseline
{
    /// <summary><c>tls-server --port P</c>: serves until SIGTERM; prints "listening &lt;port&gt;".</summary>
    public static async Task<int> ServeAsync(Arguments a)
    {
        using var stop = Signals(out var term, out var intr);
        var (cert, ca) = CreateCertificates();
        var listener = new TcpListener(IPAddress.Loopback, a.GetInt("port", 0));
        listener.Start(4096);
        Console.Out.WriteLine($"listening {((IPEndPoint)listener.LocalEndpoint).Port}");
        Console.Out.Flush();
        var context = SslStreamCertificateContext.Create(cert, additionalCertificates: null, offline: true);
        var held = new List<SslStream>();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var socket = await listener.AcceptSocketAsync(stop.Token);
                _ = Task.Run(async () =>
                {
                    var tls = new SslStream(new NetworkStream(socket, ownsSocket: true));
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                    {
                        ServerCertificateContext = context,
                        ClientCertificateRequired = true,
                        RemoteCertificateValidationCallback = (_, c, _, _) => c is not null,
                    });
                    lock (held)
                    {
                        held.Add(tls);
                    }
                    var one = new byte[1];
                    while (await tls.ReadAsync(Memory<byte>.Empty) >= 0 && await tls.ReadAsync(one) > 0)
                    {
                        await tls.WriteAsync(one);
                    }
                });
            }
        }
        catch (OperationCanceledException)
        {
        }
        GC.KeepAlive(ca);
        return 0;
    }

    /// <summary><c>tls-clients --port P --count N</c>: opens N connections, one byte round trip each, holds them; prints "opened &lt;n&gt;".</summary>
    public static async Task<int> ConnectAsync(Arguments a)
    {
        using var stop = Signals(out var term, out var intr);
        var port = a.GetInt("port", 0);
        var count = a.GetInt("count", 100);
        var (cert, _) = CreateCertificates();
        var opened = new List<SslStream>(count);
        for (var i = 0; i < count && !stop.IsCancellationRequested; i++)
        {
            var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            var tls = new SslStream(client.GetStream());
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                ClientCertificates = [cert],
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            });
            await tls.WriteAsync(new byte[] { 1 });
            await tls.ReadExactlyAsync(new byte[1]);
            opened.Add(tls);
        }
        Console.Out.WriteLine($"opened {opened.Count}");
        Console.Out.Flush();
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
        return 0;
    }

    private static CancellationTokenSource Signals(out PosixSignalRegistration term, out PosixSignalRegistration intr)
    {
        var stop = new CancellationTokenSource();
        term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        return stop;
    }

    /// <summary>An ECDSA P-256 CA and a leaf it signed, as Ferry's certificates are (trust is not what is measured).</summary>
    private static (X509Certificate2 Leaf, X509Certificate2 Ca) CreateCertificates()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=baseline CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        using var issued = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(12), RandomNumberGenerator.GetBytes(8));
        return (issued.CopyWithPrivateKey(key), ca);
    }
}
