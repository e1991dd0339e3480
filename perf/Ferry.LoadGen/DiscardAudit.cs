using Ferry.Audit;

namespace Ferry.LoadGen;

internal sealed class DiscardAudit : IAuditSink
{
    public void Emit(AuditEvent e)
    {
    }
}
