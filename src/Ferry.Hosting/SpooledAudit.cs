using Ferry.Audit;

namespace Ferry.Hosting;

/// <summary>
/// The audit pipeline of a host, the same in every role: events go to a sink that writes them to a local
/// spool first, and a shipper loop uploads the spool to the auth service's store (over the API, or straight
/// into the store in <c>ferryd --all-in-one</c>), so an outage of the auth service loses nothing.
/// </summary>
public sealed class SpooledAudit : IAsyncDisposable
{
    private readonly SpoolingAuditSink _sink;

    private SpooledAudit(SpoolingAuditSink sink) => _sink = sink;

    public IAuditSink Sink => _sink;

    /// <summary>Opens (or creates) the spool in <paramref name="spoolDirectory"/> and starts shipping it with <paramref name="uploader"/>.</summary>
    public static SpooledAudit Start(string spoolDirectory, IAuditUploader uploader, BackgroundLoops loops)
    {
        ArgumentNullException.ThrowIfNull(loops);
        var spool = AuditSpool.Open(spoolDirectory);
        var shipper = new AuditShipper(spool, uploader);
        loops.Start(shipper.RunAsync);
        return new SpooledAudit(new SpoolingAuditSink(spool));
    }

    /// <summary>Flushes what the sink still holds into the spool (the shipper sends it on the next start).</summary>
    public ValueTask DisposeAsync() => _sink.DisposeAsync();
}
