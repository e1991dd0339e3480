using System.Collections.Concurrent;
using Ferry.Audit;

namespace Ferry.Auth.Tests;

internal sealed class CapturingAuditSink : IAuditSink
{
    public ConcurrentQueue<AuditEvent> Events { get; } = new();

    public void Emit(AuditEvent e) => Events.Enqueue(e);
}
