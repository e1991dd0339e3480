using System.Buffers;
using System.Text;
using Ferry.Audit;
using Ferry.Diagnostics;
using Ferry.Identity;

namespace Ferry.Agent.MySql;

/// <summary>
/// The settings the roles pin (<c>statement_timeout</c>, <c>read_only</c>) are set by the agent right after the login
/// and after each COM_RESET_CONNECTION (<see cref="MySqlBackendConnector.SessionSetupStatement"/>); COM_QUERY and
/// COM_STMT_PREPARE texts that would change them are refused with ER_SPECIFIC_ACCESS_DENIED_ERROR (1227), audited,
/// logged and counted; the session carries on.
/// </summary>
internal sealed partial class MySqlAgentSession
{
    private CommandVerdict? RefusePinned(AuditEvent e, in ReadOnlySequence<byte> raw)
    {
        var timeout = Rbac.StatementTimeout is not null;
        var readOnly = Rbac.ReadOnly;
        if (!timeout && !readOnly)
        {
            return null;
        }
        var setting = raw.Length > PinnedSettingsFilter.MaxLength
            ? "a statement too long to check"
            : PinnedSettingsFilter.Violation(Encoding.UTF8.GetString(raw), PinnedSettingsFilter.Dialect.MySql, timeout, readOnly);
        if (setting is null)
        {
            return null;
        }
        var pins = string.Join(", ", new[] { timeout ? "statement_timeout " + Ferry.Rbac.Duration.Format(Rbac.StatementTimeout!.Value) : null, readOnly ? "read_only" : null }.Where(s => s is not null));
        var message = $"this statement would change {setting}, which your roles pin for this session ({pins}): it was refused, not run";
        e.Success = false;
        e.Error = "1227 " + message;
        e.Details = new Dictionary<string, string> { ["reason"] = Limits.PinnedSetting, ["setting"] = setting };
        Audit.Emit(e);
        FerryMetrics.LimitHit(Db.Protocol.ToName(), Db.Name, Limits.PinnedSetting);
        AgentLog.PinnedSettingRefused(Ctx.Log, Audit.SessionId, Db.Name, Identity.User, setting);
        return CommandVerdict.Refuse(MySqlSessionErrors.Packet(1, MySqlSessionErrors.SpecificAccessDenied, "42000", message));
    }
}
