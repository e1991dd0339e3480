using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ferry.Agent;
using Ferry.Identity.Tls.OpenSsl;

namespace Ferry.Agent.Tests;

/// <summary>
/// The agent's TLS client handshake with a database server (a real SslStream server on loopback; the agent's side is
/// <see cref="OpenSslStream"/>): the
/// configured CA, the server name and the verification mode decide, with the message the operator sees.
/// </summary>
public sealed class DatabaseTlsTests
{
    private static readonly (X509Certificate2 Cert, ECDsa Key) CaA = CreateCa("CN=db CA A");
    private static readonly (X509Certificate2 Cert, ECDsa Key) CaB = CreateCa("CN=db CA B");

    [Fact]
    public async Task ServerSignedByTheConfiguredCa_WithItsName_IsAccepted()
    {
        await using var tls = await ConnectAsync(Leaf(CaA, "db.test"), CaA.Cert, DatabaseTlsVerification.VerifyFull);
        Assert.StartsWith("TLSv1.", tls.Tls.Protocol);
    }

    [Fact]
    public async Task ServerSignedByAnotherCa_IsRefused_NamingTheConfiguredCa()
    {
        var e = await Assert.ThrowsAsync<DatabaseConnectException>(() => ConnectAsync(Leaf(CaB, "db.test"), CaA.Cert, DatabaseTlsVerification.VerifyFull));
        Assert.Contains("server certificate is not signed by the configured CA", e.Message);
    }

    [Fact]
    public async Task ServerWithAnotherName_IsRefusedInVerifyFull_AndAcceptedInVerifyCa()
    {
        var e = await Assert.ThrowsAsync<DatabaseConnectException>(() => ConnectAsync(Leaf(CaA, "other.test"), CaA.Cert, DatabaseTlsVerification.VerifyFull));
        Assert.Contains("does not cover db.test", e.Message);

        await using var tls = await ConnectAsync(Leaf(CaA, "other.test"), CaA.Cert, DatabaseTlsVerification.VerifyCa);
        Assert.StartsWith("TLSv1.", tls.Tls.Protocol);
    }

    private static async Task<ClosingStream> ConnectAsync(X509Certificate2 serverCert, X509Certificate2 trusted, DatabaseTlsVerification mode)
    {
        var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30)); // outlives this method: the server task holds the connection
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync(cts.Token);
            await using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: false));
            try
            {
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = serverCert }, cts.Token);
                _ = await ssl.ReadAsync(new byte[1], cts.Token); // hold until the client closes (0 = closed)
            }
            catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException)
            {
                // the client refused the server: expected in the negative cases
            }
        });
        try
        {
            var db = new AgentDatabase { Name = "orders", Protocol = Ferry.Identity.DatabaseProtocol.Postgres, Host = "127.0.0.1", Port = port, TlsMode = mode, TlsServerName = "db.test" };
            var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, port, cts.Token);
            var stream = await DatabaseTls.StartAsync(tcp.GetStream(), db, ClientCertificate.Value, [trusted], cts.Token);
            return new ClosingStream(stream, server, listener);
        }
        catch
        {
            listener.Stop();
            throw;
        }
    }

    private static readonly Lazy<X509Certificate2> ClientCertificate = new(() =>
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var cert = new CertificateRequest("CN=app", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    });

    private static (X509Certificate2, ECDsa) CreateCa(string name)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return (request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1)), key);
    }

    private static X509Certificate2 Leaf((X509Certificate2 Cert, ECDsa Key) ca, string dnsName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + dnsName, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(dnsName);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var issued = request.Create(ca.Cert, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1), RandomNumberGenerator.GetBytes(8));
        using var withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>The client's TLS stream; disposing it also ends the test server.</summary>
    private sealed class ClosingStream(Stream inner, Task server, TcpListener listener) : Stream
    {
        public OpenSslStream Tls => (OpenSslStream)inner;

        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => false;
        public override bool CanWrite => inner.CanWrite;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            await server;
            listener.Stop();
            await base.DisposeAsync();
        }
    }
}
