using System.Runtime.InteropServices;

namespace Ferry.Identity.Tls.OpenSsl;

/// <summary>
/// The few OpenSSL 3 calls <see cref="OpenSslStream"/> makes. The process already has libssl.so.3 loaded (.NET's own TLS
/// and crypto use it), so these bind to the same library, its configuration (the system's openssl.cnf policy:
/// protocol floor, cipher string, security level) and its initialisation.
/// </summary>
internal static unsafe partial class LibSsl
{
    private const string Ssl = "libssl.so.3";
    private const string Crypto = "libcrypto.so.3";

    public const int SSL_ERROR_NONE = 0;
    public const int SSL_ERROR_SSL = 1;
    public const int SSL_ERROR_WANT_READ = 2;
    public const int SSL_ERROR_WANT_WRITE = 3;
    public const int SSL_ERROR_SYSCALL = 5;
    public const int SSL_ERROR_ZERO_RETURN = 6;

    public const int SSL_CTRL_MODE = 33;
    public const int SSL_CTRL_SET_SESS_CACHE_MODE = 44;
    public const int SSL_CTRL_SET_TLSEXT_HOSTNAME = 55;
    public const int SSL_CTRL_SET_MIN_PROTO_VERSION = 123;
    public const long SSL_MODE_ENABLE_PARTIAL_WRITE = 0x1;
    public const long SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER = 0x2;
    public const ulong SSL_OP_IGNORE_UNEXPECTED_EOF = 1UL << 7;
    public const ulong SSL_OP_NO_TICKET = 1UL << 14;
    public const int TLS1_2_VERSION = 0x0303;
    public const int SSL_VERIFY_PEER = 0x01;
    public const int SSL_TLSEXT_ERR_OK = 0;
    public const int SSL_TLSEXT_ERR_NOACK = 3;
    public const int TLSEXT_NAMETYPE_host_name = 0;

    public const int BIO_TYPE_SOURCE_SINK = 0x0400;
    public const int BIO_CTRL_EOF = 2;
    public const int BIO_CTRL_PENDING = 10;
    public const int BIO_CTRL_FLUSH = 11;
    public const int BIO_CTRL_WPENDING = 13;
    public const int BIO_FLAGS_READ = 0x01;
    public const int BIO_FLAGS_RWS = 0x07;
    public const int BIO_FLAGS_SHOULD_RETRY = 0x08;

    [LibraryImport(Ssl)]
    public static partial nint TLS_client_method();

    [LibraryImport(Ssl)]
    public static partial nint TLS_server_method();

    [LibraryImport(Ssl)]
    public static partial nint SSL_CTX_new(nint method);

    [LibraryImport(Ssl)]
    public static partial int SSL_CTX_set_num_tickets(nint ctx, nuint count);

    [LibraryImport(Ssl)]
    public static partial int SSL_CTX_set_session_id_context(nint ctx, byte* id, uint length);

    [LibraryImport(Ssl)]
    public static partial void SSL_CTX_set_alpn_select_cb(nint ctx, delegate* unmanaged<nint, byte**, byte*, byte*, uint, nint, int> callback, nint arg);

    [LibraryImport(Ssl)]
    public static partial void SSL_set_accept_state(nint ssl);

    /// <summary>The client's ALPN list (wire format: length-prefixed names); 0 on success.</summary>
    [LibraryImport(Ssl)]
    public static partial int SSL_set_alpn_protos(nint ssl, byte* protocols, uint length);

    [LibraryImport(Ssl)]
    public static partial void SSL_get0_alpn_selected(nint ssl, byte** data, uint* length);

    [LibraryImport(Ssl)]
    public static partial nint SSL_get1_peer_certificate(nint ssl);

    [LibraryImport(Ssl)]
    public static partial void SSL_CTX_free(nint ctx);

    [LibraryImport(Ssl)]
    public static partial long SSL_CTX_ctrl(nint ctx, int cmd, long larg, nint parg);

    [LibraryImport(Ssl)]
    public static partial ulong SSL_CTX_set_options(nint ctx, ulong options);

    [LibraryImport(Ssl)]
    public static partial int SSL_CTX_use_certificate(nint ctx, nint x509);

    [LibraryImport(Ssl)]
    public static partial int SSL_CTX_use_PrivateKey(nint ctx, nint pkey);

    [LibraryImport(Ssl)]
    public static partial int SSL_CTX_check_private_key(nint ctx);

    [LibraryImport(Ssl)]
    public static partial int SSL_CTX_add1_chain_cert(nint ctx, nint x509);

    [LibraryImport(Ssl)]
    public static partial void SSL_CTX_set_verify(nint ctx, int mode, nint callback);

    [LibraryImport(Ssl)]
    public static partial nint SSL_new(nint ctx);

    [LibraryImport(Ssl)]
    public static partial void SSL_free(nint ssl);

    [LibraryImport(Ssl)]
    public static partial void SSL_set_bio(nint ssl, nint rbio, nint wbio);

    [LibraryImport(Ssl)]
    public static partial void SSL_set_connect_state(nint ssl);

    [LibraryImport(Ssl)]
    public static partial long SSL_ctrl(nint ssl, int cmd, long larg, nint parg);

    [LibraryImport(Ssl)]
    public static partial int SSL_do_handshake(nint ssl);

    [LibraryImport(Ssl)]
    public static partial int SSL_read(nint ssl, byte* buffer, int count);

    [LibraryImport(Ssl)]
    public static partial int SSL_peek(nint ssl, byte* buffer, int count);

    [LibraryImport(Ssl)]
    public static partial int SSL_write(nint ssl, byte* buffer, int count);

    [LibraryImport(Ssl)]
    public static partial int SSL_get_error(nint ssl, int ret);

    [LibraryImport(Ssl)]
    public static partial int SSL_shutdown(nint ssl);

    [LibraryImport(Ssl)]
    public static partial int SSL_free_buffers(nint ssl);


    [LibraryImport(Ssl)]
    public static partial nint SSL_get_peer_cert_chain(nint ssl);

    [LibraryImport(Ssl)]
    public static partial nint SSL_get_version(nint ssl);

    [LibraryImport(Crypto)]
    public static partial nint d2i_X509(nint reuse, ref byte* input, long length);

    [LibraryImport(Crypto)]
    public static partial int i2d_X509(nint x509, byte** output);

    [LibraryImport(Crypto)]
    public static partial void X509_free(nint x509);

    [LibraryImport(Crypto)]
    public static partial nint d2i_AutoPrivateKey(nint reuse, ref byte* input, long length);

    [LibraryImport(Crypto)]
    public static partial void EVP_PKEY_free(nint pkey);

    [LibraryImport(Crypto)]
    public static partial int OPENSSL_sk_num(nint stack);

    [LibraryImport(Crypto)]
    public static partial nint OPENSSL_sk_value(nint stack, int index);

    [LibraryImport(Crypto)]
    public static partial ulong ERR_get_error();

    [LibraryImport(Crypto)]
    public static partial void ERR_clear_error();

    [LibraryImport(Crypto)]
    public static partial void ERR_error_string_n(ulong error, byte* buffer, nuint length);

    [LibraryImport(Crypto)]
    public static partial int BIO_get_new_index();

    [LibraryImport(Crypto)]
    public static partial nint BIO_meth_new(int type, byte* name);

    [LibraryImport(Crypto)]
    public static partial int BIO_meth_set_write(nint method, delegate* unmanaged<nint, byte*, int, int> write);

    [LibraryImport(Crypto)]
    public static partial int BIO_meth_set_read(nint method, delegate* unmanaged<nint, byte*, int, int> read);

    [LibraryImport(Crypto)]
    public static partial int BIO_meth_set_ctrl(nint method, delegate* unmanaged<nint, int, long, nint, long> ctrl);

    [LibraryImport(Crypto)]
    public static partial int BIO_meth_set_create(nint method, delegate* unmanaged<nint, int> create);

    [LibraryImport(Crypto)]
    public static partial nint BIO_new(nint method);

    [LibraryImport(Crypto)]
    public static partial void BIO_set_init(nint bio, int init);

    [LibraryImport(Crypto)]
    public static partial void BIO_set_flags(nint bio, int flags);

    [LibraryImport(Crypto)]
    public static partial void BIO_clear_flags(nint bio, int flags);

    /// <summary>OpenSSL's error queue of this thread as one line (emptied), or <paramref name="otherwise"/> when it is empty.</summary>
    public static string TakeErrors(string otherwise)
    {
        string? text = null;
        Span<byte> buffer = stackalloc byte[256];
        ulong e;
        while ((e = ERR_get_error()) != 0)
        {
            fixed (byte* p = buffer)
            {
                ERR_error_string_n(e, p, (nuint)buffer.Length);
            }
            var line = System.Text.Encoding.ASCII.GetString(buffer[..buffer.IndexOf((byte)0)]);
            text = text is null ? line : text + "; " + line;
        }
        return text ?? otherwise;
    }
}
