using System.Collections.ObjectModel;

namespace Ferry.Audit;

/// <summary>
/// <see cref="AuditEvent.Details"/> that relays set on every statement of a kind: the common value is one shared,
/// read-only instance, so the relay allocates no dictionary for it per event.
/// </summary>
public static class AuditDetails
{
    private static readonly IReadOnlyDictionary<string, string> UnnamedPortal =
        new ReadOnlyDictionary<string, string>(new Dictionary<string, string> { ["portal"] = "" });

    /// <summary><c>{"portal": name}</c> (PostgreSQL Bind and Execute); the unnamed portal's is shared.</summary>
    public static IReadOnlyDictionary<string, string> Portal(string name) =>
        name.Length == 0 ? UnnamedPortal : new Dictionary<string, string> { ["portal"] = name };
}
