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
/// after the statement ran; so nothing may run after a schema change before its report has been checked. For a
/// command that can change the schema — a COM_QUERY whose text contains <c>use</c> in any case, a COM_QUERY too
/// large to hold, COM_INIT_DB:
/// <list type="bullet">
/// <item>a COM_QUERY runs with multi-statements off: the agent sends COM_SET_OPTION(MULTI_STATEMENTS_OFF) before it
/// and (ON) after it, and drops their answers, so that <c>USE other; INSERT …</c> in one query is a syntax error at
/// the server and runs nothing (the client is told why);</item>
/// <item>nothing more the client sent (pipelined commands) is forwarded until the server's answer has been checked;
/// when it moved the session to a schema no role allows, the session ends there, and what followed never ran.</item>
/// </list>
/// Sessions whose roles allow every schema (<c>db_names: ["*"]</c> and no <c>deny.db_names</c>) are left alone; other
/// multi-statements (without <c>use</c> in their text) run as before.
/// </summary>
internal sealed partial class MySqlAgentSession
{
    /// <summary>MYSQL_OPTION_MULTI_STATEMENTS_ON in COM_SET_OPTION (OFF is 1).</summary>
    private const ushort MultiStatementsOn = 0;

    // COM_SET_OPTION: payload length 3, sequence id 0, the command byte, the option (int<2>: 1 off, 0 on).
    private static readonly byte[] MultiStatementsOff = [3, 0, 0, 0, (byte)CommandCode.SetOption, 1, 0];
    private static readonly byte[] MultiStatementsOnAgain = [3, 0, 0, 0, (byte)CommandCode.SetOption, 0, 0];

    private bool _schemaRestricted = true;
    // Whether the client has multi-statements on at the server (its capability, then its own COM_SET_OPTIONs).
    private bool _clientMultiStatements;
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

    /// <summary>COM_SET_OPTION: audited and forwarded; the agent notes whether the client turned multi-statements on or off.</summary>
    private CommandVerdict SetOption(ReadOnlySequence<byte> payload)
    {
        var body = payload.Slice(1);
        if (body.Length >= 2)
        {
            Span<byte> two = stackalloc byte[2];
            body.Slice(0, 2).CopyTo(two);
            _clientMultiStatements = (ushort)(two[0] | (two[1] << 8)) == MultiStatementsOn;
        }
        return Admin(AuditEventKinds.MySqlSetOption, payload, "option");
    }

    /// <summary>
    /// A held COM_QUERY of a client with multi-statements on: sent between COM_SET_OPTION(OFF) and (ON), so that the
    /// server runs at most one statement of it before its answer is checked.
    /// </summary>
    private CommandVerdict SingleStatement(CommandVerdict verdict, in ReadOnlySequence<byte> payload)
    {
        if (!verdict.Hold || !_clientMultiStatements)
        {
            return verdict;
        }
        var w = new ArrayBufferWriter<byte>((int)payload.Length + 32);
        w.Write(MultiStatementsOff);
        if (verdict.Action == CommandAction.Replace)
        {
            w.Write(verdict.Packet);
        }
        else
        {
            ComQuery.Write(w, payload.Slice(1).ToArray());
        }
        w.Write(MultiStatementsOnAgain);
        return CommandVerdict.Replace(w.WrittenSpan.ToArray()) with { Tag = verdict.Tag, Hold = true, SingleStatement = true };
    }

    /// <summary>
    /// A syntax error (1064) for a query containing <c>;</c> in a restricted session is most likely a multi-statement the
    /// server refused because multi-statements are off: the client is told so, with the server's message.
    /// </summary>
    private (byte[] Packet, string Message)? MultiStatementError(in ReadOnlySequence<byte> packet, string query)
    {
        if (!_schemaRestricted || !_clientMultiStatements || !query.Contains(';', StringComparison.Ordinal) || !query.Contains("use", StringComparison.OrdinalIgnoreCase))
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
        var message = "Ferry: a query that may change the schema (its text contains \"use\") runs as a single statement in this session, because its roles limit db_names and a statement after a USE could otherwise run unchecked: send its statements one per query. The server said: "
            + Encoding.UTF8.GetString(err.Message);
        return (MySqlSessionErrors.Packet(sequenceId, 1064, "42000", message), message);
    }
}
