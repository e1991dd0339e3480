using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Ferry.Protocol.Postgres.Startup;

namespace Ferry.Agent.Postgres;

/// <summary>
/// Opens a mutual-TLS connection to a PostgreSQL server: TCP, SSLRequest, then TLS with the
/// db-client certificate, verifying the server certificate as the database's TLS mode says.
/// </summary>
internal static class PostgresBackendConnector
{
    public static async Task<Stream> ConnectAsync(AgentDatabase db, X509Certificate2 clientCertificate, X509Certificate2Collection? trustedRoots, CancellationToken ct)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(db.Host, db.Port, ct);
            var network = tcp.GetStream();
            await network.WriteAsync(EncryptionRequest.SslRequest.ToArray(), ct);
            var answer = new byte[1];
            await network.ReadExactlyAsync(answer, ct);
            if (answer[0] != EncryptionRequest.Accept[0])
            {
                throw new DatabaseConnectException($"database {db.Name} at {db.Host}:{db.Port} does not accept TLS (answered '{(char)answer[0]}'): enable ssl in postgresql.conf");
            }
            return await DatabaseTls.StartAsync(network, db, clientCertificate, trustedRoots, ct);
        }
        catch (SocketException e)
        {
            tcp.Dispose();
            throw new DatabaseConnectException($"cannot reach database {db.Name} at {db.Host}:{db.Port}: {e.Message}", e);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }
}
