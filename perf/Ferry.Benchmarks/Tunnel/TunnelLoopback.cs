using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ferry.Tunnel;

namespace Ferry.Benchmarks.Tunnel;

/// <summary>Loopback harness: in-memory pipe pairs and authenticated TLS pairs over 127.0.0.1.</summary>
public static class TunnelLoopback
{
    /// <summary>Two sessions over in-memory pipes that pause at 64 KiB, like a socket buffer.</summary>
    public static (MuxSession Client, MuxSession Server) CreatePipePair(MuxOptions? options = null)
    {
        var pipeOptions = new PipeOptions(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024, useSynchronizationContext: false);
        var aToB = new Pipe(pipeOptions);
        var bToA = new Pipe(pipeOptions);
        return (
            MuxSession.Client(new Duplex(bToA.Reader, aToB.Writer), options),
            MuxSession.Server(new Duplex(aToB.Reader, bToA.Writer), options));
    }

    /// <summary>Two sessions over one loopback TLS connection.</summary>
    public static async Task<(MuxSession Client, MuxSession Server)> CreateTlsPairAsync(MuxOptions? options = null)
    {
        (SslStream client, SslStream server) = await ConnectTlsAsync();
        return (MuxSession.Client(client, options), MuxSession.Server(server, options));
    }

    /// <summary>An authenticated TLS 1.3 connection over 127.0.0.1 with a fresh self-signed ECDSA P-256 certificate.</summary>
    public static async Task<(SslStream Client, SslStream Server)> ConnectTlsAsync()
    {
        using X509Certificate2 certificate = CreateCertificate();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var clientSocket = new TcpClient { NoDelay = true };
        Task connect = clientSocket.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        TcpClient serverSocket = await listener.AcceptTcpClientAsync();
        serverSocket.NoDelay = true;
        await connect;

        string thumbprint = certificate.Thumbprint;
        var client = new SslStream(clientSocket.GetStream(), leaveInnerStreamOpen: false);
        var server = new SslStream(serverSocket.GetStream(), leaveInnerStreamOpen: false);
        await Task.WhenAll(
            client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "tunnel.bench",
                RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && cert.GetCertHashString() == thumbprint,
            }),
            server.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }));
        return (client, server);
    }

    /// <summary>Reads exactly <paramref name="total"/> bytes, then writes one acknowledgement byte; repeats until end of stream.</summary>
    public static async Task AcknowledgeEveryAsync(Stream stream, long total)
    {
        byte[] buffer = new byte[256 * 1024];
        byte[] ack = [1];
        long received = 0;
        while (true)
        {
            int read = await stream.ReadAsync(buffer);
            if (read == 0)
            {
                return;
            }

            received += read;
            if (received == total)
            {
                received = 0;
                await stream.WriteAsync(ack);
                await stream.FlushAsync();
            }
        }
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=tunnel.bench", key, HashAlgorithmName.SHA256);
        using X509Certificate2 ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(2));
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), password: null);
    }

    private sealed record Duplex(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
