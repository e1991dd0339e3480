namespace Ferry.Client;

/// <summary>
/// The default local port of <c>ferry proxy db NAME</c>: the same for a name on every run (so saved GUI connections
/// keep working), spread over 20000-29999 by an FNV-1a hash of the name.
/// </summary>
public static class StablePort
{
    public const int First = 20000;

    public const int Count = 10000;

    public static int For(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var hash = 2166136261u;
        foreach (var c in name)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return First + (int)(hash % Count);
    }
}
