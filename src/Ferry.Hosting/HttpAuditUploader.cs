using Ferry.Contracts;
using Ferry.Audit;

namespace Ferry.Hosting;

/// <summary>Ships spooled audit batches to the auth service's store (<c>POST /v1/audit/events</c>, deduplicated there by event id).</summary>
public sealed class HttpAuditUploader(AuthApiClient api) : IAuditUploader
{
    public Task UploadAsync(AuditBatch batch, CancellationToken ct) => api.UploadAuditAsync(batch.Json, ct);
}
