using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Identity.Tests;

public sealed class TlsHandshakeTests
{
    [Fact]
    public async Task SslStream_UserClientAndHostServer_BothSidesAcceptAndServerSeesTheIdentity()
    {
        using var ca = new TestAuthority();
        using var serverCertificate = HostCertificateWithKey(ca);
        using var clientCertificate = UserCertificateWithKey(ca);
        IdentityVerification<UserIdentity>? seenByServer = null;
        IdentityVerification<HostIdentity>? seenByClient = null;

        var (serverError, clientError, echoed) = await Handshake(
            serverCertificate,
            TlsValidation.ForUserClients(ca.Store.CreateVerifier(CaKind.User), r => seenByServer = r),
            clientCertificate,
            TlsValidation.ForHosts(ca.Store.CreateVerifier(CaKind.Host), HostRole.Proxy, r => seenByClient = r));

        Assert.Null(serverError);
        Assert.Null(clientError);
        Assert.Equal("ping", echoed);
        Assert.True(seenByServer!.IsValid, seenByServer.Message);
        Assert.Equal("alice", seenByServer.Identity.User);
        Assert.Equal("orders-db", seenByServer.Identity.Route!.ServiceName);
        Assert.True(seenByClient!.IsValid, seenByClient.Message);
        Assert.Equal("proxy-1", seenByClient.Identity.HostId);
        Assert.Contains(IPAddress.Loopback, seenByClient.Identity.IpAddresses);
    }

    [Fact]
    public async Task SslStream_ClientCertificateFromAnotherCa_IsRejectedByTheServer()
    {
        using var ca = new TestAuthority("ours");
        using var other = new TestAuthority("theirs");
        using var serverCertificate = HostCertificateWithKey(ca);
        using var foreignClient = UserCertificateWithKey(other);
        IdentityVerification<UserIdentity>? seenByServer = null;

        var (serverError, _, echoed) = await Handshake(
            serverCertificate,
            TlsValidation.ForUserClients(ca.Store.CreateVerifier(CaKind.User), r => seenByServer = r),
            foreignClient,
            TlsValidation.ForHosts(ca.Store.CreateVerifier(CaKind.Host)));

        Assert.IsType<AuthenticationException>(serverError);
        Assert.Null(echoed);
        Assert.Equal(VerificationFailure.UnknownCa, seenByServer!.Failure);
    }

    [Fact]
    public async Task SslStream_ServerWithUserCertificate_IsRejectedByTheClient()
    {
        using var ca = new TestAuthority();
        using var notAHost = UserCertificateWithKey(ca);
        using var clientCertificate = UserCertificateWithKey(ca);
        IdentityVerification<HostIdentity>? seenByClient = null;

        var (_, clientError, _) = await Handshake(
            notAHost,
            TlsValidation.ForUserClients(ca.Store.CreateVerifier(CaKind.User)),
            clientCertificate,
            TlsValidation.ForHosts(ca.Store.CreateVerifier(CaKind.Host), HostRole.Proxy, r => seenByClient = r));

        Assert.IsType<AuthenticationException>(clientError);
        Assert.NotEqual(VerificationFailure.None, seenByClient!.Failure);
    }

    private static X509Certificate2 HostCertificateWithKey(TestAuthority ca)
    {
        using var key = KeyPair.Generate();
        using var certificate = ca.Issuer.IssueHostCertificate(key.ToClientPublicKey(), HostRole.Proxy, "proxy-1", ["localhost"], [IPAddress.Loopback], TimeSpan.FromHours(1)).ToX509Certificate2();
        return TlsCertificates.FromPem(certificate.ExportCertificatePem(), key.ExportPrivateKeyPem());
    }

    private static X509Certificate2 UserCertificateWithKey(TestAuthority issuer)
    {
        using var key = KeyPair.Generate();
        using var certificate = issuer.Issuer.IssueUserCertificate(key.ToClientPublicKey(), TestAuthority.Alice(), TimeSpan.FromHours(1), TimeSpan.FromHours(1)).ToX509Certificate2();
        return key.WithCertificate(certificate);
    }

    /// <summary>Runs one TLS handshake over 127.0.0.1 and an echo of "ping"; returns each side's exception and what came back.</summary>
    private static async Task<(Exception? Server, Exception? Client, string? Echoed)> Handshake(
        X509Certificate2 serverCertificate, RemoteCertificateValidationCallback serverValidation,
        X509Certificate2 clientCertificate, RemoteCertificateValidationCallback clientValidation)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var serverTask = Task.Run(async () =>
            {
                using var socket = await listener.AcceptTcpClientAsync(timeout.Token);
                await using var tls = new SslStream(socket.GetStream());
                try
                {
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                    {
                        ServerCertificateContext = TlsCertificates.CreateServerContext(serverCertificate),
                        ClientCertificateRequired = true,
                        RemoteCertificateValidationCallback = serverValidation,
                    }, timeout.Token);
                    var buffer = new byte[4];
                    await tls.ReadExactlyAsync(buffer, timeout.Token);
                    await tls.WriteAsync(buffer, timeout.Token);
                    return null;
                }
                catch (Exception e) when (e is AuthenticationException or IOException)
                {
                    return e;
                }
            });

            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            await using var clientTls = new SslStream(client.GetStream());
            Exception? clientError = null;
            string? echoed = null;
            try
            {
                await clientTls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = "localhost",
                    ClientCertificateContext = SslStreamCertificateContext.Create(clientCertificate, null, offline: true),
                    RemoteCertificateValidationCallback = clientValidation,
                }, timeout.Token);
                await clientTls.WriteAsync("ping"u8.ToArray(), timeout.Token);
                var buffer = new byte[4];
                await clientTls.ReadExactlyAsync(buffer, timeout.Token);
                echoed = System.Text.Encoding.ASCII.GetString(buffer);
            }
            catch (Exception e) when (e is AuthenticationException or IOException)
            {
                clientError = e;
            }

            client.Close();
            var serverError = await serverTask;
            return (serverError, clientError, echoed);
        }
        finally
        {
            listener.Stop();
        }
    }
}
