namespace Ferry.Identity;

/// <summary>
/// Where several auth servers keep their shared CAs: one item per CA kind holding its whole key ring (the
/// private keys sealed with <see cref="CaKeyEncryptionKey"/>), replaced by compare-and-swap so that a first start
/// or a rotation step by two servers at once ends with one result.
/// </summary>
public interface ICaSharedStorage
{
    /// <summary>The stored ring of <paramref name="kind"/> and its revision, or null when none exists yet.</summary>
    ValueTask<(byte[] Value, long Revision)?> GetAsync(CaKind kind, CancellationToken cancellationToken);

    /// <summary>Writes the ring only if its revision is still <paramref name="expectedRevision"/> (0: must not exist); null when it was not.</summary>
    ValueTask<long?> CompareAndSwapAsync(CaKind kind, long expectedRevision, byte[] value, CancellationToken cancellationToken);
}
