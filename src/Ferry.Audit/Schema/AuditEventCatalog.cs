namespace Ferry.Audit;

/// <summary>Looks up the kinds of <see cref="AuditEventKinds"/>; the source of docs/audit-events.md.</summary>
public static class AuditEventCatalog
{
    /// <summary>All known event kinds.</summary>
    public static IReadOnlyList<AuditEventKind> All => AuditEventKinds.All;

    /// <summary>Finds the entry for <paramref name="code"/>, or null.</summary>
    public static AuditEventKind? FindByCode(string code)
    {
        foreach (AuditEventKind k in All)
        {
            if (k.Code == code)
            {
                return k;
            }
        }

        return null;
    }
}
