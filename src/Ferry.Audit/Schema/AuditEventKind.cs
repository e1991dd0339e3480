namespace Ferry.Audit;

/// <summary>One entry of the event catalogue (<see cref="AuditEventKinds"/>).</summary>
public sealed record AuditEventKind(string Type, string Code, string Description)
{
    /// <summary>A new event of this kind that happened at <paramref name="time"/>: id, time, type and code set.</summary>
    public AuditEvent NewEvent(DateTimeOffset time) => new()
    {
        Id = AuditEventId.New(time),
        Time = time,
        Type = Type,
        Code = Code,
    };
}
