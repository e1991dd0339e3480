namespace Ferry.Contracts;

/// <summary>
/// A lock: new connections it covers are refused and live ones closed. Stored under <c>/locks/ID</c> with a
/// lease when it expires. JSON: <c>{"id","kind","target","message","created_at","created_by","expires_at"}</c>.
/// </summary>
public sealed class LockInfo
{
    public string Id { get; set; } = "";

    /// <summary>See <see cref="LockTargetKind"/>.</summary>
    public string Kind { get; set; } = "";

    /// <summary>The user name, role name or database service name.</summary>
    public string Target { get; set; } = "";

    public string? Message { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public string? CreatedBy { get; set; }

    public DateTimeOffset? ExpiresAt { get; set; }

    /// <summary>True when this lock covers a session of <paramref name="user"/> with <paramref name="roles"/> to <paramref name="database"/>.</summary>
    public bool Covers(string user, IEnumerable<string> roles, string? database, DateTimeOffset now)
    {
        if (ExpiresAt is { } end && end <= now)
        {
            return false;
        }

        return Kind switch
        {
            LockTargetKind.User => string.Equals(Target, user, StringComparison.Ordinal),
            LockTargetKind.Role => roles.Contains(Target, StringComparer.Ordinal),
            LockTargetKind.Database => database is not null && string.Equals(Target, database, StringComparison.Ordinal),
            _ => false,
        };
    }

    /// <summary>A sentence for people: <c>user "alice" is locked: offboarding (until 2026-01-01T00:00:00Z)</c>.</summary>
    public string Describe()
    {
        var text = $"{Kind} \"{Target}\" is locked";
        if (!string.IsNullOrEmpty(Message))
        {
            text += ": " + Message;
        }

        return ExpiresAt is { } end ? $"{text} (until {end.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ})" : text;
    }
}
