namespace Ferry.Audit;

/// <summary>Delivers shipped batches straight into an in-process audit store (<see cref="IAuditStore"/>) (all-in-one mode, tests).</summary>
public sealed class AuditStoreUploader(IAuditStore store) : IAuditUploader
{
    public Task UploadAsync(AuditBatch batch, CancellationToken ct) => store.AppendAsync(batch.Events, ct);
}
