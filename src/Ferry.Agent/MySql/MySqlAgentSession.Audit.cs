using Ferry.Audit;

namespace Ferry.Agent.MySql;

internal sealed partial class MySqlAgentSession
{
    private AuditEvent NewEvent(string type, string code) => _audit.NewEvent(type, code);

    private void EmitStart(bool allowed, string? error) => _audit.Start(allowed, error);

    private void EmitEnd(string reason, string? error, long bytesIn, long bytesOut, TimeSpan duration) =>
        _audit.End(reason, error, bytesIn, bytesOut, duration);
}
