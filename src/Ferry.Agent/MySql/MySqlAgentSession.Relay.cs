using System.Buffers;
using Ferry.Audit;

namespace Ferry.Agent.MySql;

/// <summary>The relay phase's MySQL parts: the command and response relays, and the ERR a closed client gets.</summary>
internal sealed partial class MySqlAgentSession
{
    private MySqlBackendConnection? _backend;
    private MySqlCommandRelay? _toDb;
    private MySqlResponseRelay? _toClient;

    protected override RelayPair StartRelays(CancellationToken stop)
    {
        _toDb = new MySqlCommandRelay(ReaderFor(_client), _backend!.Stream, Ctx.MaxInspectedMessage)
        {
            OnCommand = OnCommand,
            OnLargeCommand = OnLargeCommand,
            WaitAnswered = WaitAnsweredAsync,
            ReplyToClient = async packet => await WriteClientAsync(new ReadOnlySequence<byte>(packet)),
        };
        StartResults();
        _toClient = new MySqlResponseRelay(ReaderFor(_backend.Stream), WriteClientAsync, _responses)
        {
            OnPacket = OnResponse,
            OnData = OnResultData,
            MayDropNext = MayDropNextRow,
            OnResponseEnded = OnResponseEnded,
        };
        stop.Register(ReleaseHeld);
        return new RelayPair(_toDb.RunAsync(stop), _toClient.RunAsync(stop));
    }

    protected override (long ToDatabase, long ToClient) RelayedBytes => (_toDb!.Bytes, _toClient!.Bytes);

    protected override string? EndError => _toDb?.Error ?? _toClient?.Error;

    protected override async Task NotifyClosedAsync(string message)
    {
        if (_toClient!.AtBoundary)
        {
            await WriteClientAsync(new ReadOnlySequence<byte>(MySqlSessionErrors.Packet(1, MySqlSessionErrors.ConnectionKilled, "70100", $"session closed: {message}")));
        }
    }

    protected override ValueTask CloseDatabaseAsync() => _backend!.Stream.DisposeAsync();

    /// <summary>The server closes the connection on COM_QUIT: whichever side's end is seen first, the client ended it.</summary>
    protected override Task<SessionEndReason> OnRelayEndedAsync(bool clientSide, Postgres.RelayEnd end, SessionEndReason reason) =>
        Task.FromResult(_responseDenial is not null ? SessionEndReason.AccessDenied : _clientQuit ? SessionEndReason.ClientClosed : reason);
}
