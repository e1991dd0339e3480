using Ferry.Audit;

namespace Ferry.Auth.AuditPipeline;

/// <summary>
/// Audit sink for a local administration command: events go to a private spool
/// <c>spool/admin-tmp-ID</c>, renamed to <c>spool/admin-ID</c> when the command finishes. The auth server
/// (<see cref="ServerAuditPipeline"/>) ships finished admin spools into the audit store and deletes them,
/// so no event is lost whether or not a server is running, and two processes never share a spool.
/// </summary>
internal sealed class AdminAuditSpool : IAuditSink, IAsyncDisposable
{
    public const string Prefix = "admin-";
    private const string TempPrefix = "admin-tmp-";
    private readonly string _tempDir;
    private readonly string _finalDir;
    private readonly AuditSpool _spool;
    private readonly SpoolingAuditSink _sink;
    private long _count;

    public AdminAuditSpool(string dataDir)
    {
        var id = Guid.CreateVersion7().ToString("N");
        var root = Path.Combine(dataDir, "spool");
        _tempDir = Path.Combine(root, TempPrefix + id);
        _finalDir = Path.Combine(root, Prefix + id);
        _spool = AuditSpool.Open(_tempDir);
        _sink = new SpoolingAuditSink(_spool);
    }

    public void Emit(AuditEvent e)
    {
        Interlocked.Increment(ref _count);
        _sink.Emit(e);
    }

    public async ValueTask DisposeAsync()
    {
        await _sink.FlushAsync().ConfigureAwait(false);
        await _sink.DisposeAsync().ConfigureAwait(false);
        _spool.Dispose();
        if (Interlocked.Read(ref _count) == 0)
        {
            Directory.Delete(_tempDir, recursive: true);
        }
        else
        {
            Directory.Move(_tempDir, _finalDir);
        }
    }

    /// <summary>True for a finished admin spool directory name.</summary>
    public static bool IsFinished(string name) => name.StartsWith(Prefix, StringComparison.Ordinal) && !name.StartsWith(TempPrefix, StringComparison.Ordinal);
}
