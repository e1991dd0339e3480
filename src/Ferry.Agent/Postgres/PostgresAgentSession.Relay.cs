using System.IO.Pipelines;
using Ferry.Audit;
using Ferry.Protocol.Postgres;
using Ferry.Protocol.Postgres.Backend;
using Ferry.Protocol.Postgres.Frontend;

namespace Ferry.Agent.Postgres;

/// <summary>The relay phase's PostgreSQL parts: the two relays, pooling's idle check, and the FATAL a closed client gets.</summary>
internal sealed partial class PostgresAgentSession
{
    private Stream _client = Stream.Null;
    private PipeReader? _clientReader;
    private PostgresBackend? _backend;
    private bool _pooling;
    private PostgresRelay? _toDb;
    private PostgresRelay? _toClient;
    // With a pool, the relays also count request cycles (Query, Sync, FunctionCall) against
    // ReadyForQuery, and the client's Terminate is kept from the server.
    private int _cycles;
    private int _readies;
    private byte _status = (byte)TransactionStatus.Idle;
    private bool _reusable;
    // The client said Terminate: the server closes the connection on it, and may be seen closing first.
    private volatile bool _clientTerminated;
    private readonly PendingRefusals _refusals = new();

    protected override RelayPair StartRelays(CancellationToken stop)
    {
        StartResults();
        _toDb = new PostgresRelay(_clientReader!, _backend!.Stream, Ctx.MaxInspectedMessage)
        {
            Inspect = _pooling
                ? static code => code is (byte)FrontendMessageCode.Query or (byte)FrontendMessageCode.Parse or (byte)FrontendMessageCode.Bind or (byte)FrontendMessageCode.Execute or (byte)FrontendMessageCode.FunctionCall or (byte)FrontendMessageCode.Sync
                : static code => code is (byte)FrontendMessageCode.Query or (byte)FrontendMessageCode.Parse or (byte)FrontendMessageCode.Bind or (byte)FrontendMessageCode.Execute or (byte)FrontendMessageCode.FunctionCall or (byte)FrontendMessageCode.Sync or (byte)FrontendMessageCode.Terminate,
            OnMessage = _pooling
                ? frame =>
                {
                    if (frame.Code is (byte)FrontendMessageCode.Query or (byte)FrontendMessageCode.Sync or (byte)FrontendMessageCode.FunctionCall)
                    {
                        _cycles++;
                    }
                    if (frame.Code == (byte)FrontendMessageCode.Sync)
                    {
                        Expect(PendingKind.Sync, null);
                    }
                    if (frame.Code != (byte)FrontendMessageCode.FunctionCall)
                    {
                        FlushFunctionCalls();
                    }
                    AuditMessage(frame);
                }
                : frame =>
                {
                    _clientTerminated |= frame.Code == (byte)FrontendMessageCode.Terminate;
                    if (frame.Code == (byte)FrontendMessageCode.Sync)
                    {
                        Expect(PendingKind.Sync, null);
                        return;
                    }
                    if (frame.Code != (byte)FrontendMessageCode.FunctionCall)
                    {
                        FlushFunctionCalls();
                    }
                    AuditMessage(frame);
                },
            StopBefore = _pooling ? (byte)FrontendMessageCode.Terminate : null,
            Replace = RefusePinned,
            StreamAbove = Ctx.MaxStatementBytes,
            OnLargeMessage = StreamLargeMessage,
            OnRefused = RefuseLargeMessage,
        };
        _toClient = new PostgresRelay(_backend.Reader, _client, Ctx.MaxInspectedMessage)
        {
            // Small messages that end statements are held whole; rows and everything else stream through OnPassing.
            Inspect = static code => code is (byte)BackendMessageCode.ReadyForQuery or (byte)BackendMessageCode.ErrorResponse
                or (byte)BackendMessageCode.CommandComplete or (byte)BackendMessageCode.EmptyQueryResponse or (byte)BackendMessageCode.PortalSuspended,
            OnMessage = frame =>
            {
                if (frame.Code == (byte)BackendMessageCode.ErrorResponse)
                {
                    AuditServerError(frame);
                }
                else if (_pooling && frame.Code == (byte)BackendMessageCode.ReadyForQuery)
                {
                    _readies++;
                    _status = ReadyStatus(frame);
                }
            },
            OnPassing = OnServerPassing,
            Replace = OnServerMessage,
        };
        return new RelayPair(_toDb.RunAsync(stop), _toClient.RunAsync(stop));
    }

    private static byte ReadyStatus(in PostgresFrame frame) => (byte)ReadyForQuery.Read(frame);

    protected override (long ToDatabase, long ToClient) RelayedBytes => (_toDb!.Bytes, _toClient!.Bytes);

    protected override async Task NotifyClosedAsync(string message)
    {
        if (_toClient!.AtBoundary)
        {
            await (AgentEndReason == SessionEndReason.IdleTimeout
                ? PgWire.WriteFatalAsync(_client, "57P05", $"ferry: {message}: session closed")
                : PgWire.WriteFatalAsync(_client, "57P01", $"ferry: session closed: {message}"));
        }
    }

    protected override ValueTask CloseDatabaseAsync() => _backend!.DisposeAsync();

    /// <summary>Terminate: stop reading the server without disturbing its stream, then see whether it is idle.</summary>
    protected override async Task<bool> EndsCleanlyAsync(bool clientSide, RelayEnd end, RelayPair relays)
    {
        if (!clientSide || end != RelayEnd.Stopped)
        {
            return false;
        }
        _backend!.Reader.CancelPendingRead();
        var serverSide = await relays.ToClient;
        _reusable = serverSide == RelayEnd.Terminated && _toClient!.AtBoundary && _cycles == _readies && _status == (byte)TransactionStatus.Idle;
        return true;
    }

    protected override async Task<SessionEndReason> OnRelayEndedAsync(bool clientSide, RelayEnd end, SessionEndReason reason)
    {
        if (clientSide && end == RelayEnd.ProtocolError)
        {
            await PgWire.WriteFatalAsync(_client, "08P01", $"ferry: {_toDb!.Error}");
        }
        // After Terminate the server closes its side: whichever side's end is seen first, the client ended it.
        return _clientTerminated && reason == SessionEndReason.DatabaseClosed ? SessionEndReason.ClientClosed : reason;
    }
}
