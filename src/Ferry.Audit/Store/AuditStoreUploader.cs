namespace Ferry.Audit;

/// <summary>Delivers shipped batches straight into an in-process <see cref="AuditStore"/> (all-in-one mode, tests).</summary>
public sealed class AuditStoreUploader(AuditStore store) : IAuditUploader
{
    public Task UploadAsync(AuditBatch batch, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        store.Append(batch.Events);
        return Task.CompletedTask;
    }
}
