namespace Ferry.Audit;

/// <summary>Where components send audit events. <see cref="Emit"/> never blocks and never drops.</summary>
public interface IAuditSink
{
    /// <summary>Hands over an event; returns at once. Do not mutate <paramref name="e"/> afterwards.</summary>
    void Emit(AuditEvent e);
}
