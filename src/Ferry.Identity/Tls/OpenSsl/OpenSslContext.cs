using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Identity.Tls.OpenSsl;

/// <summary>
/// One OpenSSL context (SSL_CTX) per certificate, shared by every connection that presents it: the certificate and key
/// are loaded once, and a connection costs an SSL object, not a context of its own (8 KiB each with <c>SslStream</c>).
/// TLS 1.2 or 1.3, the system policy otherwise; no session
/// resumption and no TLS 1.3 tickets (every handshake presents and checks certificates). The peer's certificate is not
/// judged by OpenSSL: a client context hands the server's to the caller's check after the handshake and before any
/// application data (<see cref="OpenSslStream.ConnectAsync"/>); a server context asks for the client's and accepts
/// whatever comes (or nothing), for the caller to verify before it reads a byte (<see cref="OpenSslStream.AcceptAsync"/>).
/// </summary>
public sealed unsafe class OpenSslContext : SafeHandle
{
    private static readonly ConditionalWeakTable<X509Certificate2, OpenSslContext> ByClientCertificate = new();
    private static readonly ConditionalWeakTable<SslStreamCertificateContext, OpenSslContext> ByServerCertificate = new();

    private OpenSslContext(bool server)
        : base(0, ownsHandle: true)
    {
        IsServer = server;
    }

    public bool IsServer { get; }

    public override bool IsInvalid => handle == 0;

    /// <summary>The client context for <paramref name="certificate"/> (which must carry its private key), built once per certificate object.</summary>
    public static OpenSslContext ForClient(X509Certificate2 certificate) =>
        ByClientCertificate.GetValue(certificate, static c => Create(c, server: false));

    /// <summary>The server context presenting <paramref name="certificate"/> and its intermediates, built once per context object.</summary>
    public static OpenSslContext ForServer(SslStreamCertificateContext certificate) =>
        ByServerCertificate.GetValue(certificate, static c =>
        {
            var context = Create(c.TargetCertificate, server: true);
            foreach (var intermediate in c.IntermediateCertificates)
            {
                var x509 = ReadCertificate(intermediate.RawData);
                if (LibSsl.SSL_CTX_add1_chain_cert(context.handle, x509) != 1)
                {
                    LibSsl.X509_free(x509);
                    context.Dispose();
                    throw new AuthenticationException(LibSsl.TakeErrors("an intermediate certificate was not accepted"));
                }
                LibSsl.X509_free(x509); // add1: the context took its own reference
            }
            return context;
        });

    /// <summary>A client context presenting <paramref name="certificate"/> (or none when it is null), or a server context presenting it.</summary>
    public static OpenSslContext Create(X509Certificate2? certificate, bool server = false)
    {
        if (server && certificate is null)
        {
            throw new ArgumentNullException(nameof(certificate), "a server context needs a certificate");
        }
        var context = new OpenSslContext(server);
        var ctx = LibSsl.SSL_CTX_new(server ? LibSsl.TLS_server_method() : LibSsl.TLS_client_method());
        if (ctx == 0)
        {
            throw new AuthenticationException(LibSsl.TakeErrors("SSL_CTX_new failed"));
        }
        context.SetHandle(ctx);
        try
        {
            if (LibSsl.SSL_CTX_ctrl(ctx, LibSsl.SSL_CTRL_SET_MIN_PROTO_VERSION, LibSsl.TLS1_2_VERSION, 0) != 1)
            {
                throw new AuthenticationException(LibSsl.TakeErrors("cannot set TLS 1.2 as the lowest version"));
            }
            // Not SSL_MODE_RELEASE_BUFFERS: freeing and allocating both ~16 KiB record buffers for every record cost
            // 4-14 us per transaction per process; OpenSslStream frees them once a connection has sat idle instead.
            LibSsl.SSL_CTX_ctrl(ctx, LibSsl.SSL_CTRL_MODE, LibSsl.SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER, 0);
            LibSsl.SSL_CTX_ctrl(ctx, LibSsl.SSL_CTRL_SET_SESS_CACHE_MODE, 0, 0); // SSL_SESS_CACHE_OFF
            LibSsl.SSL_CTX_set_options(ctx, LibSsl.SSL_OP_NO_TICKET | LibSsl.SSL_OP_IGNORE_UNEXPECTED_EOF);
            if (server)
            {
                // Ask for a client certificate, take any (or none): the proxy verifies it before reading a byte.
                LibSsl.SSL_CTX_set_verify(ctx, LibSsl.SSL_VERIFY_PEER, (nint)(delegate* unmanaged<int, nint, int>)&AcceptAnyPeer);
                LibSsl.SSL_CTX_set_num_tickets(ctx, 0);
                fixed (byte* id = "ferry"u8)
                {
                    LibSsl.SSL_CTX_set_session_id_context(ctx, id, 5);
                }
                LibSsl.SSL_CTX_set_alpn_select_cb(ctx, &OpenSslStream.SelectApplicationProtocol, 0);
            }
            else
            {
                LibSsl.SSL_CTX_set_verify(ctx, 0, 0); // SSL_VERIFY_NONE: checked after the handshake, in managed code
            }
            if (certificate is not null)
            {
                UseCertificate(ctx, certificate);
            }
            return context;
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    private static void UseCertificate(nint ctx, X509Certificate2 certificate)
    {
        var x509 = ReadCertificate(certificate.RawData);
        try
        {
            if (LibSsl.SSL_CTX_use_certificate(ctx, x509) != 1)
            {
                throw new AuthenticationException(LibSsl.TakeErrors("the client certificate was not accepted"));
            }
        }
        finally
        {
            LibSsl.X509_free(x509); // the context holds its own reference
        }

        byte[] pkcs8;
        using (AsymmetricAlgorithm key = (AsymmetricAlgorithm?)certificate.GetECDsaPrivateKey() ?? certificate.GetRSAPrivateKey()
            ?? throw new AuthenticationException("the client certificate has no ECDSA or RSA private key"))
        {
            pkcs8 = key.ExportPkcs8PrivateKey();
        }
        try
        {
            nint pkey;
            fixed (byte* p = pkcs8)
            {
                var cursor = p;
                pkey = LibSsl.d2i_AutoPrivateKey(0, ref cursor, pkcs8.Length);
            }
            if (pkey == 0)
            {
                throw new AuthenticationException(LibSsl.TakeErrors("the client certificate's key could not be read"));
            }
            try
            {
                if (LibSsl.SSL_CTX_use_PrivateKey(ctx, pkey) != 1 || LibSsl.SSL_CTX_check_private_key(ctx) != 1)
                {
                    throw new AuthenticationException(LibSsl.TakeErrors("the client certificate's key does not match it"));
                }
            }
            finally
            {
                LibSsl.EVP_PKEY_free(pkey);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    [UnmanagedCallersOnly]
    private static int AcceptAnyPeer(int preverified, nint store) => 1;

    internal static nint ReadCertificate(ReadOnlySpan<byte> der)
    {
        nint x509;
        fixed (byte* p = der)
        {
            var cursor = p;
            x509 = LibSsl.d2i_X509(0, ref cursor, der.Length);
        }
        return x509 != 0 ? x509 : throw new AuthenticationException(LibSsl.TakeErrors("a certificate could not be read"));
    }

    protected override bool ReleaseHandle()
    {
        LibSsl.SSL_CTX_free(handle); // reference-counted: connections still open keep it alive
        return true;
    }
}
