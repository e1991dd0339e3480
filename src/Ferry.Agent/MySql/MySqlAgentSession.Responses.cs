using System.Buffers;
using System.Text;
using Ferry.Audit;
using Ferry.Protocol.MySql;
using Ferry.Protocol.MySql.Packets;
using Ferry.Protocol.MySql.Responses;

namespace Ferry.Agent.MySql;

/// <summary>
/// The response side of a MySQL session: failed queries are audited with the server's error, and the schema
/// is followed from the server's own session state tracking, so that whatever statement moves the session
/// (COM_INIT_DB, <c>USE</c> in a COM_QUERY or a multi-statement) it cannot stay in a schema its roles do not allow.
/// </summary>
internal sealed partial class MySqlAgentSession
{
    private ResponseTracker _responses = new(MySqlCapabilities.None);

    /// <summary>Why the session was ended from the response side (a schema RBAC does not allow), if it was.</summary>
    private string? _responseDenial;

    private ResponseAction OnResponse(ResponseStep step, ReadOnlySequence<byte> packet)
    {
        switch (step.Kind)
        {
            case ResponseStepKind.PrepareFirst:
                OnPrepareResponse(packet);
                return ResponseAction.Forward;
            case ResponseStepKind.Err:
                return OnResultEnd(step, packet, OnError(step, packet));
            case ResponseStepKind.Ok:
                return OnResultEnd(step, packet, OnOk(step, packet));
            case ResponseStepKind.Data when step.Tag is MySqlResultTag:
                // An EOF ending a response (a result set without CLIENT_DEPRECATE_EOF is ended by Ok, not here).
                return OnResultEnd(step, packet, ResponseAction.Forward);
            default:
                // An EOF answering an agent-owned command (COM_SET_OPTION) is the agent's, not the client's.
                return step.Tag is AgentOwned && step.EndsResponse ? ResponseAction.Replace([]) : ResponseAction.Forward;
        }
    }

    private ResponseAction OnError(ResponseStep step, in ReadOnlySequence<byte> packet)
    {
        var error = ServerError(packet.Slice(MySqlPacketReader.HeaderLength));
        if (step.Tag is AgentOwned)
        {
            return Deny($"the database refused to keep session state tracking on after COM_RESET_CONNECTION: {error}");
        }
        if (step.Tag is MySqlResultTag { Query: { } query })
        {
            var explained = MultiStatementError(packet, query);
            var e = Audit.NewEvent(AuditEventKinds.DbSessionQueryFailed);
            e.Query = query;
            e.Success = false;
            e.Error = explained is null ? error : $"1064 {explained.Value.Message}";
            Audit.Emit(e);
            if (explained is { } answer)
            {
                return ResponseAction.Replace(answer.Packet);
            }
        }
        return ResponseAction.Forward;
    }

    private ResponseAction OnOk(ResponseStep step, in ReadOnlySequence<byte> packet)
    {
        var ok = step.Ok;
        if ((ok.Status & ServerStatus.SessionStateChanged) != 0 && !ok.SessionStateChanges.IsEmpty)
        {
            var denial = CheckSessionState(SessionState.Read(ok.SessionStateChanges));
            if (denial is not null)
            {
                return Deny(denial);
            }
        }
        if (step.Tag is AgentOwned)
        {
            return ResponseAction.Replace([]);
        }
        return (_caps & MySqlCapabilities.SessionTrack) == 0 && (ok.Status & ServerStatus.SessionStateChanged) != 0
            ? ResponseAction.Replace(StripSessionState(packet))
            : ResponseAction.Forward;
    }

    /// <summary>Null when the reported changes keep the session where its roles allow and tracking on; else why not.</summary>
    private string? CheckSessionState(SessionState state)
    {
        foreach (var (name, value) in state.Variables)
        {
            var off = name switch
            {
                "session_track_schema" => !value.Equals("ON", StringComparison.OrdinalIgnoreCase) && value != "1",
                "session_track_system_variables" => value != "*" && !(Lists(value, "session_track_schema") && Lists(value, "session_track_system_variables")),
                _ => false,
            };
            if (off)
            {
                return $"{name} was changed to \"{value}\": Ferry follows the schema through session state tracking, which must stay on";
            }
        }
        if (state.Schema is not { } schema || schema == Audit.DbName)
        {
            return null;
        }
        var e = Audit.NewEvent(AuditEventKinds.MySqlSchemaChange);
        e.DbName = schema;
        var denial = schema.Length == 0 ? null : CheckDbName(schema);
        if (denial is not null)
        {
            return $"the session moved to schema \"{schema}\": {denial}";
        }
        Audit.Emit(e);
        Audit.DbName = schema;
        return null;
    }

    private ResponseAction Deny(string reason)
    {
        var e = Audit.NewEvent(AuditEventKinds.MySqlSchemaChangeDenied);
        e.Success = false;
        e.Error = reason;
        Audit.Emit(e);
        RecordRefusal(AgentRefusals.MySqlSchema, reason);
        _responseDenial = reason;
        ReleaseHeld();
        return ResponseAction.Close(MySqlSessionErrors.Packet(1, MySqlSessionErrors.DbAccessDenied, "42000", reason + "; closing this connection"), reason);
    }

    private static bool Lists(string list, string name)
    {
        foreach (var part in list.Split(','))
        {
            if (part.Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The OK packet as the server would send it to a client without CLIENT_SESSION_TRACK: no session state, no flag.</summary>
    private byte[] StripSessionState(in ReadOnlySequence<byte> packet)
    {
        var sequenceId = packet.Slice(3, 1).FirstSpan[0];
        var ok = OkPacket.Read(packet.Slice(MySqlPacketReader.HeaderLength), _backend!.Capabilities);
        var w = new ArrayBufferWriter<byte>(64 + (int)ok.Info.Length);
        var info = ok.Info.ToArray();
        var caps = info.Length > 0 ? MySqlCapabilities.Protocol41 | MySqlCapabilities.SessionTrack : MySqlCapabilities.Protocol41;
        OkPacket.Write(w, sequenceId, caps, ok.AffectedRows, ok.LastInsertId, ok.Status & ~ServerStatus.SessionStateChanged, ok.Warnings, info, ok.Header);
        return w.WrittenSpan.ToArray();
    }

    private static string ServerError(in ReadOnlySequence<byte> payload)
    {
        try
        {
            var err = ErrPacket.Read(payload);
            return $"{err.ErrorCode} {Encoding.UTF8.GetString(err.Message)}";
        }
        catch (MySqlProtocolException)
        {
            return "malformed ERR packet";
        }
    }

    /// <summary>Tags a response the agent asked for itself: never forwarded to the client.</summary>
    private sealed class AgentOwned
    {
        public static readonly AgentOwned Instance = new();
    }
}
