using System.Buffers;
using System.Globalization;
using Ferry.Audit;
using Ferry.Diagnostics;
using Ferry.Identity;
using Ferry.Protocol.Postgres;
using Ferry.Protocol.Postgres.Frontend;

namespace Ferry.Agent.Postgres;

/// <summary>
/// The settings the roles pin (<c>statement_timeout</c>, <c>read_only</c>): the agent authors them as start-up
/// parameters of the server connection (<c>statement_timeout</c>, <c>default_transaction_read_only=on</c>), which the
/// server keeps as the session's defaults (a <c>RESET</c> or <c>DISCARD ALL</c> returns to them), refuses a client's
/// start-up parameters or <c>options</c> naming them, and refuses Query/Parse texts that would change them
/// (<see cref="PinnedSettingsFilter"/>): the client gets SQLSTATE 42501 from the server's own error path, so the
/// session carries on.
/// </summary>
internal sealed partial class PostgresAgentSession
{
    private bool PinsTimeout => Rbac.StatementTimeout is not null;

    private bool PinsReadOnly => Rbac.ReadOnly;

    private bool Pins => PinsTimeout || PinsReadOnly;

    /// <summary>Null when the client's start-up parameters leave the pinned settings alone; else why the session is refused.</summary>
    private string? CheckStartupPins(List<KeyValuePair<string, string>> parameters)
    {
        if (!Pins)
        {
            return null;
        }
        foreach (var (key, value) in parameters)
        {
            var k = key.ToLowerInvariant();
            var named = k is "options" ? value.ToLowerInvariant() : k;
            foreach (var pinned in PinnedNames())
            {
                if (named.Contains(pinned, StringComparison.Ordinal))
                {
                    return $"the start-up parameter \"{key}\" sets {pinned}, which your roles pin ({PinText()}): remove it (PGOPTIONS, options=-c …)";
                }
            }
        }
        return null;
    }

    private IEnumerable<string> PinnedNames()
    {
        if (PinsTimeout)
        {
            yield return "statement_timeout";
        }
        if (PinsReadOnly)
        {
            yield return "default_transaction_read_only";
            yield return "transaction_read_only";
        }
    }

    private string PinText() => string.Join(", ", new[]
    {
        PinsTimeout ? "statement_timeout " + Ferry.Rbac.Duration.Format(Rbac.StatementTimeout!.Value) : null,
        PinsReadOnly ? "read_only" : null,
    }.Where(s => s is not null));

    /// <summary>The start-up parameters the agent adds for the pinned settings.</summary>
    private void AddPinnedParameters(List<KeyValuePair<string, string>> parameters)
    {
        if (Rbac.StatementTimeout is { } timeout)
        {
            parameters.Add(new("statement_timeout", ((long)timeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)));
        }
        if (Rbac.ReadOnly)
        {
            parameters.Add(new("default_transaction_read_only", "on"));
        }
    }

    /// <summary>
    /// The client-side relay's check of each message held whole: a Query or Parse that would change a pinned setting is
    /// replaced by a stand-in the server fails at once (its error becomes this refusal, 42501); null passes the message.
    /// </summary>
    private byte[]? RefusePinned(PostgresFrame frame)
    {
        if (!Pins || frame.Code is not ((byte)FrontendMessageCode.Query or (byte)FrontendMessageCode.Parse))
        {
            return null;
        }
        var isQuery = frame.Code == (byte)FrontendMessageCode.Query;
        var text = isQuery ? Query.Read(frame).Text : Parse.Read(frame).QueryText;
        var setting = PinnedSettingsFilter.Violation(PgWire.Text(text), PinnedSettingsFilter.Dialect.Postgres, PinsTimeout, PinsReadOnly);
        if (setting is null)
        {
            return null;
        }
        FlushFunctionCalls();
        var message = $"ferry: this statement would change {setting}, which your roles pin for this session ({PinText()}): it was refused, not run";
        var e = Audit.NewEvent(isQuery ? AuditEventKinds.DbSessionQuery : AuditEventKinds.DbSessionParse);
        StatementCapture.Describe(e, text, Ctx.MaxStatementBytes);
        e.Success = false;
        e.Error = message;
        e.Details = new Dictionary<string, string> { ["reason"] = Limits.PinnedSetting, ["setting"] = setting };
        Audit.Emit(e);
        FerryMetrics.LimitHit(Db.Protocol.ToName(), Db.Name, Limits.PinnedSetting);
        AgentLog.PinnedSettingRefused(Ctx.Log, Audit.SessionId, Db.Name, Identity.User, setting);
        var name = _refusals.Add(message, "42501", "your roles set this for the session; ask an administrator to change the role if you need another value");
        var w = new ArrayBufferWriter<byte>(64);
        if (isQuery)
        {
            Query.Write(w, "EXECUTE " + name);
            if (_pooling)
            {
                _cycles++;
            }
            Expect(PendingKind.Query, e.Id);
        }
        else
        {
            Bind.Write(w, ""u8, System.Text.Encoding.ASCII.GetBytes(name), [], [], []);
        }
        return w.WrittenSpan.ToArray();
    }
}
