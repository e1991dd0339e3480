using System.Collections.Concurrent;

namespace Ferry.Agent.MySql;

/// <summary>
/// What the MySQL sessions of one agent share: the connection ids clients were greeted with mapped to
/// the real server thread ids (so <c>KILL QUERY &lt;id&gt;</c> from a second session reaches the right
/// thread), and the server version each database last greeted the agent with (for the heartbeat).
/// </summary>
public sealed class MySqlAgentState
{
    private readonly ConcurrentDictionary<uint, uint> _threads = new();
    private readonly ConcurrentDictionary<string, string> _versions = new(StringComparer.Ordinal);

    /// <summary>Maps a greeting connection id to the server thread id; false when the id is already taken.</summary>
    public bool MapThread(uint greetedId, uint threadId) => _threads.TryAdd(greetedId, threadId);

    public void UnmapThread(uint greetedId) => _threads.TryRemove(greetedId, out _);

    public bool TryGetThread(uint greetedId, out uint threadId) => _threads.TryGetValue(greetedId, out threadId);

    public int MappedThreads => _threads.Count;

    public void NoteServerVersion(string database, string version)
    {
        if (version.Length > 0)
        {
            _versions[database] = version;
        }
    }

    private readonly ConcurrentDictionary<string, byte> _collations = new(StringComparer.Ordinal);

    /// <summary>Notes the default collation id the database greeted with (0: unknown, ignored).</summary>
    public void NoteCollation(string database, byte collation)
    {
        if (collation != 0)
        {
            _collations[database] = collation;
        }
    }

    /// <summary>The default collation id the database last greeted with, or 0 when not yet seen.</summary>
    public byte Collation(string database) => _collations.TryGetValue(database, out var c) ? c : (byte)0;

    /// <summary>The version the database last greeted with, or "" when not yet seen.</summary>
    public string ServerVersion(string database) => _versions.TryGetValue(database, out var v) ? v : "";
}
