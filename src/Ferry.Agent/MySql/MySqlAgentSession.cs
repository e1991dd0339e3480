using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Authentication;
using Ferry.Contracts;
using Ferry.Identity;
using Ferry.Protocol.MySql;
using Ferry.Protocol.MySql.Handshake;
using Ferry.Protocol.MySql.Packets;
using Ferry.Protocol.MySql.Responses;

namespace Ferry.Agent.MySql;

/// <summary>
/// One MySQL session on the agent: takes the client's HandshakeResponse41 the proxy forwarded, applies
/// locks and RBAC (labels, db user, schema), logs in to the real server with a db-client certificate,
/// answers the client with the server's OK, then relays and audits every command.
/// </summary>
internal sealed partial class MySqlAgentSession(AgentContext ctx, AgentDatabase db, UserIdentity identity, string clientAddress)
    : AgentSession(ctx, db, identity, clientAddress)
{
    private readonly ConcurrentDictionary<uint, MySqlStatement> _statements = new();
    private readonly SemaphoreSlim _clientWrite = new(1, 1);
    private Stream _client = Stream.Null;
    private MySqlCapabilities _caps;
    private volatile bool _clientQuit;
    /// <summary>Texts of the COM_STMT_PREPAREs sent whose answer has not been seen yet, oldest first.</summary>
    private readonly ConcurrentQueue<string> _pendingPrepares = new();

    protected override string DbNameNoun => "schema";

    public async Task RunAsync(Stream client, ProxyHandshakePrelude prelude, CancellationToken ct)
    {
        _client = client;
        var next = prelude.NextSequenceId;
        HandshakeResponse41Summary hello;
        try
        {
            hello = HandshakeResponse41Summary.Read(prelude.HandshakeResponse);
        }
        catch (MySqlProtocolException e)
        {
            await client.WriteAsync(MySqlSessionErrors.Packet(next, 1043, "08S01", $"bad handshake: {e.Message}"), ct);
            return;
        }
        _caps = hello.Capabilities;
        _clientMultiStatements = (hello.Capabilities & MySqlCapabilities.MultiStatements) != 0;
        Audit.DbUser = hello.User.Length > 0 ? hello.User : Identity.Route?.DbUser ?? "";
        Audit.DbName = hello.Schema.Length > 0 ? hello.Schema : Identity.Route?.DbName ?? "";
        if (Audit.DbUser.Length == 0)
        {
            await DenyAsync(next, "no database user given: pass one (mysql -u) or run `ferry db login --db-user`");
            return;
        }
        var denial = await CheckAccessAsync(ct);
        if (denial is not null)
        {
            await DenyAsync(next, denial);
            return;
        }

        _schemaRestricted = await RestrictsSchemasAsync(ct);
        MySqlBackendConnection backend;
        try
        {
            var cert = await Ctx.Authority.GetDbClientCertificateAsync(Db.Name, Audit.DbUser, Audit.DbName, UserCertificate, ct);
            backend = await MySqlBackendConnector.ConnectAsync(Db, cert, hello with { MaxPacketSize = hello.MaxPacketSize == 0 ? 1u << 24 : hello.MaxPacketSize }, Audit.DbUser, Audit.DbName, ct,
                statementTimeout: Rbac.StatementTimeout, readOnly: Rbac.ReadOnly);
        }
        catch (MySqlServerRefusedException e)
        {
            Audit.Refused(AgentRefusals.DatabaseRefused, e.Message);
            var w = new ArrayBufferWriter<byte>(e.ErrPayload.Length + 4);
            var seq = next;
            MySqlPacketWriter.WritePayload(w, ref seq, e.ErrPayload);
            await client.WriteAsync(w.WrittenMemory, ct);
            return;
        }
        catch (Exception e) when (e is DatabaseConnectException or IOException or HttpRequestException or InvalidOperationException or AuthenticationException or MySqlProtocolException)
        {
            Audit.Refused(AgentRefusals.DatabaseUnreachable, e.Message);
            await client.WriteAsync(MySqlSessionErrors.Packet(next, MySqlSessionErrors.Unknown, "08S01", e.Message), ct);
            return;
        }

        await using (backend.Stream)
        {
            Ctx.MySql.NoteServerVersion(Db.Name, backend.ServerVersion);
            Ctx.MySql.NoteCollation(Db.Name, backend.Collation);
            _responses = new ResponseTracker(backend.Capabilities);
            _backend = backend;
            var mapped = Ctx.MySql.MapThread(prelude.ConnectionId, backend.ThreadId);
            try
            {
                var ok = new ArrayBufferWriter<byte>(backend.OkPayload.Length + 4);
                var seq = next;
                MySqlPacketWriter.WritePayload(ok, ref seq, backend.OkPayload);
                var login = LoginOk(new ReadOnlySequence<byte>(ok.WrittenMemory));
                if (login is null)
                {
                    return;
                }
                await client.WriteAsync(login, ct);
                await client.FlushAsync(ct);
                await RelayAsync(null, ct);
            }
            finally
            {
                if (mapped)
                {
                    Ctx.MySql.UnmapThread(prelude.ConnectionId);
                }
            }
        }
    }

    /// <summary>The login OK as the client gets it (checked like any OK: the login may name a schema); null when the session was refused.</summary>
    private byte[]? LoginOk(ReadOnlySequence<byte> packet)
    {
        var ok = OkPacket.Read(packet.Slice(MySqlPacketReader.HeaderLength), _backend!.Capabilities);
        var action = OnOk(new ResponseStep(ResponseStepKind.Ok, null, true, ok), packet);
        return action.Kind switch
        {
            ResponseActionKind.Forward => packet.ToArray(),
            ResponseActionKind.Replace => action.Packet,
            _ => null,
        };
    }

    private async Task DenyAsync(byte sequenceId, string reason)
    {
        Audit.Refused(DenialRefusal, reason);
        await _client.WriteAsync(DeniedForSessionLimit
            ? MySqlSessionErrors.Packet(sequenceId, MySqlSessionErrors.TooManyUserConnections, "42000", reason)
            : MySqlSessionErrors.Packet(sequenceId, MySqlSessionErrors.AccessDenied, "28000", reason));
        await _client.FlushAsync();
    }

    private async ValueTask<bool> WriteClientAsync(ReadOnlySequence<byte> data)
    {
        await _clientWrite.WaitAsync();
        try
        {
            return await RelayIo.TryWriteAsync(_client, data);
        }
        finally
        {
            _clientWrite.Release();
        }
    }
}
