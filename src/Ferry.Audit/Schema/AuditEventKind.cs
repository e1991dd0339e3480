namespace Ferry.Audit;

/// <summary>One entry of the event catalogue.</summary>
public sealed record AuditEventKind(string Type, string Code, string Description);
