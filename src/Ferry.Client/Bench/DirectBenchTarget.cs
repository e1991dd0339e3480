using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Ferry.Wire;
using Ferry.Wire.MySql;
using Ferry.Wire.Postgres;

namespace Ferry.Client.Bench;

/// <summary>
/// Sessions straight at a database, for comparison with the same load through Ferry. Logins: PostgreSQL trust,
/// client certificate, cleartext, md5, SCRAM-SHA-256 (no channel binding); MySQL/MariaDB client certificate,
/// mysql_native_password, caching_sha2_password (fast path; full authentication over TLS only).
/// </summary>
public sealed class DirectBenchTarget : IBenchTarget, IDisposable
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);

    private readonly DirectConnection _connection;
    private readonly PostgresQueryMode _mode;
    private readonly X509Certificate2? _clientCertificate;
    private readonly X509Certificate2Collection _roots = [];

    public DirectBenchTarget(DirectConnection connection, PostgresQueryMode mode)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _connection = connection;
        _mode = mode;
        try
        {
            if (connection.CertificateFile is not null)
            {
                _clientCertificate = X509Certificate2.CreateFromPemFile(connection.CertificateFile, connection.KeyFile ?? Path.ChangeExtension(connection.CertificateFile, ".key"));
            }

            if (connection.RootCertificateFile is not null)
            {
                _roots.ImportFromPemFile(connection.RootCertificateFile);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new FerryClientException("cannot read the TLS files of the connection string: " + e.Message, e);
        }
    }

    public string Protocol => _connection.Protocol;

    public string Description => _connection.ToString() + " direct";

    public async Task<BenchSession> OpenAsync(CancellationToken ct)
    {
        var network = await ConnectAsync(ct).ConfigureAwait(false);
        try
        {
            if (_connection.Protocol == DatabaseProtocols.Postgres)
            {
                Stream stream = network;
                if (_connection.Tls != DirectTlsMode.Disable)
                {
                    if (await PostgresWireClient.RequestTlsAsync(network, ct).ConfigureAwait(false))
                    {
                        stream = await TlsAsync(network, ct).ConfigureAwait(false);
                    }
                    else if (_connection.Tls != DirectTlsMode.Prefer)
                    {
                        throw new WireException(WireFailure.Unsupported, $"the server at {_connection} does not do TLS (sslmode={_connection.Tls.ToString().ToLowerInvariant()})");
                    }
                }

                var client = await PostgresWireClient.StartAsync(stream, new PostgresStartup(_connection.User, _connection.Database, "ferry-bench") { Password = _connection.Password }, ct).ConfigureAwait(false);
                return new PostgresBenchSession(client, _mode);
            }

            var mysql = await MySqlWireClient.ConnectAsync(network, new MySqlStartup(_connection.User, _connection.Database) { Password = _connection.Password },
                _connection.Tls == DirectTlsMode.Disable ? null : async (s, token) => await TlsAsync(s, token).ConfigureAwait(false), ct,
                tlsRequired: _connection.Tls != DirectTlsMode.Prefer).ConfigureAwait(false);
            return new MySqlBenchSession(mysql);
        }
        catch
        {
            await network.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task<NetworkStream> ConnectAsync(CancellationToken ct)
    {
        var socket = _connection.SocketPath is not null
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(ConnectTimeout);
            if (_connection.SocketPath is { } path)
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), timeout.Token).ConfigureAwait(false);
            }
            else
            {
                await socket.ConnectAsync(_connection.Host, _connection.Port, timeout.Token).ConfigureAwait(false);
            }

            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            socket.Dispose();
            throw new WireException(WireFailure.Closed, $"cannot reach {_connection} ({e.Message})");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task<SslStream> TlsAsync(Stream network, CancellationToken ct)
    {
        var tls = new SslStream(network, leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = _connection.Host,
                ClientCertificates = _clientCertificate is null ? null : [_clientCertificate],
                LocalCertificateSelectionCallback = _clientCertificate is null ? null : (_, _, _, _, _) => _clientCertificate,
                RemoteCertificateValidationCallback = Validate,
            }, ct).ConfigureAwait(false);
            return tls;
        }
        catch (System.Security.Authentication.AuthenticationException e)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw new WireException(WireFailure.Refused, $"TLS with {_connection} failed ({e.Message})");
        }
    }

    private bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (_connection.Tls is DirectTlsMode.Prefer or DirectTlsMode.Require)
        {
            return true;
        }

        if (certificate is null)
        {
            return false;
        }

        if (_connection.Tls == DirectTlsMode.VerifyFull && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return false;
        }

        if (_roots.Count == 0)
        {
            return (errors & SslPolicyErrors.RemoteCertificateChainErrors) == 0;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_roots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return custom.Build(leaf);
    }

    public void Dispose() => _clientCertificate?.Dispose();
}
