using System.Buffers;
using Ferry.Protocol.Postgres;
using Ferry.Protocol.Postgres.Backend;
using Ferry.Protocol.Postgres.Startup;

namespace Ferry.Agent.Postgres;

internal sealed partial class PostgresAgentSession
{
    /// <summary>The StartupMessage parameters the database gets: the authorised db user and db name first, then the client's others.</summary>
    private List<KeyValuePair<string, string>> ForDatabase(List<KeyValuePair<string, string>> parameters)
    {
        var rewritten = new List<KeyValuePair<string, string>>
        {
            new("user", Audit.DbUser),
            new("database", Audit.DbName),
        };
        foreach (var (k, v) in parameters)
        {
            if (k is not "user" and not "database")
            {
                rewritten.Add(new(k, v));
            }
        }
        return rewritten;
    }

    /// <summary>
    /// Forwards the database's answers up to the first ReadyForQuery, replacing its
    /// BackendKeyData with a minted one. Returns false when the session ended here.
    /// </summary>
    private async Task<(bool Ready, int Pid, byte[] Secret)> StartupPhaseAsync(Stream client, PostgresBackend backend, CancellationToken ct)
    {
        var backendReader = backend.Reader;
        int pid = 0;
        byte[] secret = [];
        while (true)
        {
            byte[]? message;
            try
            {
                message = await PgWire.ReadMessageAsync(backendReader, PostgresLimits.MaxStartupResponseLength, ct);
            }
            catch (PostgresProtocolException e)
            {
                Audit.Denied(e.Message);
                await PgWire.WriteFatalAsync(client, "08P01", $"ferry: database sent a malformed message: {e.Message}");
                return (false, 0, []);
            }
            if (message is null)
            {
                Audit.Denied("database closed the connection during start-up");
                await PgWire.WriteFatalAsync(client, "08006", "ferry: the database closed the connection during start-up");
                return (false, 0, []);
            }
            var frame = PgWire.Frame(message);
            switch ((BackendMessageCode)frame.Code)
            {
                case BackendMessageCode.Authentication:
                    var auth = Authentication.Read(frame);
                    if (auth.Code != AuthenticationCode.Ok)
                    {
                        var why = $"database {Db.Name} asked for {auth.Code} authentication instead of accepting the certificate: configure `hostssl all all <agent-ip>/32 cert` in pg_hba.conf";
                        Audit.Denied(why);
                        await PgWire.WriteFatalAsync(client, "28000", $"ferry: {why}");
                        return (false, 0, []);
                    }
                    await client.WriteAsync(message, ct);
                    break;
                case BackendMessageCode.BackendKeyData:
                    var key = BackendKeyData.Read(frame);
                    backend.ProcessId = key.ProcessId;
                    backend.SecretKey = key.SecretKey.ToArray();
                    (pid, secret) = RegisterCancel(backend);
                    var w = new ArrayBufferWriter<byte>(32);
                    BackendKeyData.Write(w, pid, secret);
                    await client.WriteAsync(w.WrittenMemory, ct);
                    break;
                case BackendMessageCode.ErrorResponse:
                    var err = ErrorResponse.Read(frame);
                    Audit.Denied($"database refused the session: {PgWire.Text(err.Message)}");
                    await client.WriteAsync(message, ct);
                    await client.FlushAsync(ct);
                    return (false, 0, []);
                case BackendMessageCode.ReadyForQuery:
                    await client.WriteAsync(message, ct);
                    await client.FlushAsync(ct);
                    return (true, pid, secret);
                case BackendMessageCode.ParameterStatus:
                    backend.SetParameter(message);
                    await client.WriteAsync(message, ct);
                    break;
                default:
                    await client.WriteAsync(message, ct);
                    break;
            }
        }
    }
}
