namespace Ferry.Audit;

/// <summary>Where components send audit events.</summary>
public interface IAuditSink
{
    /// <summary>
    /// Hands over an event. The spooling sink returns once the event is in the spool file (or in the caller's open
    /// <see cref="AuditPass"/>), so what follows the call cannot happen without its record; it never drops an event,
    /// and throws <see cref="AuditSpoolUnavailableException"/> rather than return without having written it.
    /// Do not mutate <paramref name="e"/> afterwards.
    /// </summary>
    void Emit(AuditEvent e);
}
