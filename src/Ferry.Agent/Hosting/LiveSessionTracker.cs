using System.Collections.Concurrent;
using Ferry.Audit;
using Ferry.Contracts;

namespace Ferry.Agent.Hosting;

/// <summary>
/// Follows the agent's audit events to know, for each live session, who and where (from its start event) and how
/// much it did so far: statements (queries and executes), rows and result bytes (from the <c>db.session.result</c>
/// events). The agent reports <see cref="Snapshot"/> to the auth service (<see cref="LiveSessionReporter"/>), which
/// is what <c>ferry sessions ls</c> lists. Then hands each event on.
/// </summary>
public sealed class LiveSessionTracker(IAuditSink inner) : IAuditSink
{
    /// <summary>Most sessions tracked at once (far above what one agent relays); beyond, new ones are not listed.</summary>
    public const int MaxTracked = 100_000;

    private readonly ConcurrentDictionary<string, Entry> _sessions = new(StringComparer.Ordinal);
    private long _version;

    /// <summary>Changes with every session that starts or ends (the reporter sends at once then).</summary>
    public long Version => Interlocked.Read(ref _version);

    public int Count => _sessions.Count;

    public void Emit(AuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.SessionId is { } id)
        {
            Note(id, e);
        }

        inner.Emit(e);
    }

    private void Note(string id, AuditEvent e)
    {
        switch (e.Type)
        {
            case AuditEventTypes.DbSessionStart when e.Success:
                if (_sessions.Count < MaxTracked)
                {
                    _sessions[id] = new Entry(new LiveSessionInfo
                    {
                        Id = id,
                        User = e.User ?? "",
                        Roles = [.. e.Roles ?? []],
                        Database = e.DbService ?? "",
                        Protocol = e.DbProtocol,
                        DbUser = e.DbUser,
                        DbName = e.DbName,
                        ClientAddr = e.ClientAddr,
                        Since = e.Time,
                    });
                    Interlocked.Increment(ref _version);
                }

                break;
            case AuditEventTypes.DbSessionEnd:
                if (_sessions.TryRemove(id, out _))
                {
                    Interlocked.Increment(ref _version);
                }

                break;
            case AuditEventTypes.DbSessionQuery or AuditEventTypes.DbSessionExecute or AuditEventTypes.DbSessionFunctionCall or AuditEventTypes.MySqlStatementExecute when e.Success:
                if (_sessions.TryGetValue(id, out var s))
                {
                    Interlocked.Increment(ref s.Statements);
                }

                break;
            case AuditEventTypes.DbSessionResult:
                if (_sessions.TryGetValue(id, out var r))
                {
                    Interlocked.Add(ref r.Rows, e.Rows ?? 0);
                    Interlocked.Add(ref r.Bytes, e.BytesOut ?? 0);
                }

                break;
            case AuditEventTypes.MySqlSchemaChange or AuditEventTypes.MySqlInitDb when e.Success && e.DbName is not null:
                if (_sessions.TryGetValue(id, out var m))
                {
                    m.Info.DbName = e.DbName;
                }

                break;
        }
    }

    /// <summary>
    /// The tracked sessions that <paramref name="isLive"/> confirms (a session whose end event never came, because
    /// its relay failed before emitting one, is dropped once the agent no longer holds it), with their counts now.
    /// </summary>
    public List<LiveSessionInfo> Snapshot(Func<string, bool> isLive)
    {
        ArgumentNullException.ThrowIfNull(isLive);
        var list = new List<LiveSessionInfo>(_sessions.Count);
        var now = DateTimeOffset.UtcNow;
        foreach (var (id, entry) in _sessions)
        {
            if (!isLive(id))
            {
                // Give a session that just started a moment to be registered; forget one that is gone.
                if (now - entry.Info.Since > TimeSpan.FromSeconds(10))
                {
                    _sessions.TryRemove(KeyValuePair.Create(id, entry));
                }

                continue;
            }

            var i = entry.Info;
            list.Add(new LiveSessionInfo
            {
                Id = i.Id,
                User = i.User,
                Roles = i.Roles,
                Database = i.Database,
                Protocol = i.Protocol,
                DbUser = i.DbUser,
                DbName = i.DbName,
                ClientAddr = i.ClientAddr,
                Since = i.Since,
                Statements = Interlocked.Read(ref entry.Statements),
                Rows = Interlocked.Read(ref entry.Rows),
                Bytes = Interlocked.Read(ref entry.Bytes),
            });
        }

        return list;
    }

    private sealed class Entry(LiveSessionInfo info)
    {
        public readonly LiveSessionInfo Info = info;
        public long Statements;
        public long Rows;
        public long Bytes;
    }
}
