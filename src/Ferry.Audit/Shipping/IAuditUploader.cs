namespace Ferry.Audit;

/// <summary>Delivers a batch to the audit store (over the tunnel/HTTP in production). Throws when delivery failed.</summary>
public interface IAuditUploader
{
    Task UploadAsync(AuditBatch batch, CancellationToken ct);
}
