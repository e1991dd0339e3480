using System.Buffers;
using System.Text;
using Ferry.Audit;
using Ferry.Protocol.MySql;
using Ferry.Protocol.MySql.Commands;
using Ferry.Protocol.MySql.Responses;
using Ferry.Protocol.MySql.Packets;
using Ferry.Rbac;

namespace Ferry.Agent.MySql;

/// <summary>
/// Keeping a session whose roles limit db_names inside the schemas they allow, whatever statements move it. The
/// server reports each schema change in its OK packets (session state tracking, see the response side), but only
/// after the statement ran; so nothing may run after a schema change before its report has been checked:
/// <list type="bullet">
/// <item>the server connection is opened without CLIENT_MULTI_STATEMENTS (and COM_SET_OPTION cannot turn it back on):
/// <c>USE other; INSERT …</c> in one COM_QUERY is a syntax error at the server and runs nothing;</item>
/// <item>after a command that can change the schema (a COM_QUERY whose text contains <c>use</c> in any case, any COM_QUERY
/// too large to hold, COM_INIT_DB) nothing more the client sent (pipelined commands) is forwarded until the server's
/// answer has been checked; when it moved the session to a schema no role allows, the session ends there.</item>
/// </list>
/// Sessions whose roles allow every schema (<c>db_names: ["*"]</c> and no <c>deny.db_names</c>) are not held.
/// </summary>
internal sealed partial class MySqlAgentSession
{
    /// <summary>MYSQL_OPTION_MULTI_STATEMENTS_ON in COM_SET_OPTION.</summary>
    private const ushort MultiStatementsOn = 0;

    private bool _schemaRestricted = true;
    private TaskCompletionSource<bool>? _answered;

    /// <summary>Whether the roles limit the schemas of this session (decided once, after the roles are read).</summary>
    private async Task<bool> RestrictsSchemasAsync(CancellationToken ct)
    {
        var roles = await Ctx.Authority.GetRolesAsync(Identity.Roles, ct);
        if (roles.Any(r => r.Deny.DbNames.Count > 0))
        {
            return true;
        }
        // Only a role allowing any name at all (a bare "*") lets these through.
        var target = new DatabaseTarget(Db.Name, Db.Labels);
        return !(Rbac.Check(target, Audit.DbUser, "\u0001").Allowed && Rbac.Check(target, Audit.DbUser, "\u0001\u0002\u0003").Allowed);
    }

    /// <summary>True when <paramref name="text"/> contains <c>use</c> in any case (a conservative test for a USE statement).</summary>
    internal static bool MayChangeSchema(in ReadOnlySequence<byte> text)
    {
        var reader = new SequenceReader<byte>(text);
        while (reader.TryAdvanceToAny("uU"u8, advancePastDelimiter: true))
        {
            if (reader.TryPeek(out var s) && (s | 0x20) == 's' && reader.TryPeek(1, out var e) && (e | 0x20) == 'e')
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Marks <paramref name="verdict"/> to be answered before the next command goes, in a restricted session.</summary>
    private CommandVerdict HoldIfRestricted(CommandVerdict verdict)
    {
        return !_schemaRestricted || verdict.Action is not (CommandAction.Forward or CommandAction.Replace) ? verdict : verdict with { Hold = true };
    }

    /// <summary>
    /// Called for a held command once its answer is expected and before it reaches the server (so that its answer
    /// finds the wait, and no earlier answer can end it: the tracker is not idle until the held command is answered).
    /// </summary>
    private void ArmHold() =>
        Volatile.Write(ref _answered, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>The command relay waits here after a held command: true once its answer was checked, false when the session ends.</summary>
    private ValueTask<bool> WaitAnsweredAsync() =>
        Volatile.Read(ref _answered) is { } answered ? new ValueTask<bool>(answered.Task) : ValueTask.FromResult(_responseDenial is null);

    /// <summary>The response side finished a response: when nothing more is awaited, the held command has been answered.</summary>
    private void OnResponseEnded()
    {
        if (_responses.Idle)
        {
            Interlocked.Exchange(ref _answered, null)?.TrySetResult(_responseDenial is null);
        }
    }

    /// <summary>The session is ending: a command relay waiting for an answer stops.</summary>
    private void ReleaseHeld() => Interlocked.Exchange(ref _answered, null)?.TrySetResult(false);

    /// <summary>COM_SET_OPTION: turning multi-statements on is refused in a restricted session (the rest is audited and forwarded).</summary>
    private CommandVerdict SetOption(ReadOnlySequence<byte> payload)
    {
        var body = payload.Slice(1);
        if (_schemaRestricted && body.Length >= 2)
        {
            Span<byte> two = stackalloc byte[2];
            body.Slice(0, 2).CopyTo(two);
            if ((ushort)(two[0] | (two[1] << 8)) == MultiStatementsOn)
            {
                var reason = "multi-statements cannot be turned on in this session: its roles limit db_names, and a statement after a USE could run before Ferry sees the schema change; send one statement per query";
                var e = Audit.NewEvent(AuditEventKinds.MySqlSetOption);
                e.Success = false;
                e.Error = reason;
                e.Details = new Dictionary<string, string> { ["option"] = "0" };
                Audit.Emit(e);
                RecordRefusal(AgentRefusals.MySqlCommand, reason);
                return CommandVerdict.Refuse(MySqlSessionErrors.Packet(1, MySqlSessionErrors.NotSupported, "42000", reason));
            }
        }
        return Admin(AuditEventKinds.MySqlSetOption, payload, "option");
    }

    /// <summary>
    /// A syntax error (1064) for a query containing <c>;</c> in a restricted session is most likely a multi-statement the
    /// server refused because multi-statements are off: the client is told so, with the server's message.
    /// </summary>
    private byte[]? MultiStatementError(in ReadOnlySequence<byte> packet, string query)
    {
        if (!_schemaRestricted || (_caps & MySqlCapabilities.MultiStatements) == 0 || !query.Contains(';', StringComparison.Ordinal))
        {
            return null;
        }
        ErrPacket err;
        try
        {
            err = ErrPacket.Read(packet.Slice(MySqlPacketReader.HeaderLength));
        }
        catch (MySqlProtocolException)
        {
            return null;
        }
        if (err.ErrorCode != 1064)
        {
            return null;
        }
        var sequenceId = packet.Slice(3, 1).FirstSpan[0];
        var message = "Ferry: multi-statements are off in this session because its roles limit db_names (a statement after a USE could otherwise run unchecked): send one statement per query. The server said: "
            + Encoding.UTF8.GetString(err.Message);
        return MySqlSessionErrors.Packet(sequenceId, 1064, "42000", message);
    }
}
