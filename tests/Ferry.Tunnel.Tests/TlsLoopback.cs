using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Tunnel.Tests;

/// <summary>An authenticated TLS connection over 127.0.0.1 with a self-signed ECDSA P-256 certificate made on the spot.</summary>
internal static class TlsLoopback
{
    public static async Task<(SslStream Client, SslStream Server)> ConnectAsync(CancellationToken cancellationToken)
    {
        using X509Certificate2 certificate = CreateCertificate();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var clientSocket = new TcpClient { NoDelay = true };
        Task connect = clientSocket.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port, cancellationToken).AsTask();
        TcpClient serverSocket = await listener.AcceptTcpClientAsync(cancellationToken);
        serverSocket.NoDelay = true;
        await connect;

        string thumbprint = certificate.Thumbprint;
        var client = new SslStream(clientSocket.GetStream(), leaveInnerStreamOpen: false);
        var server = new SslStream(serverSocket.GetStream(), leaveInnerStreamOpen: false);
        await Task.WhenAll(
            client.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = "tunnel.test",
                    ApplicationProtocols = [new SslApplicationProtocol("ferry-tunnel")],
                    RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && cert.GetCertHashString() == thumbprint,
                },
                cancellationToken),
            server.AuthenticateAsServerAsync(
                new SslServerAuthenticationOptions
                {
                    ServerCertificate = certificate,
                    ApplicationProtocols = [new SslApplicationProtocol("ferry-tunnel")],
                },
                cancellationToken));
        return (client, server);
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=tunnel.test", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("tunnel.test");
        request.CertificateExtensions.Add(san.Build());
        using X509Certificate2 ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), password: null);
    }
}
