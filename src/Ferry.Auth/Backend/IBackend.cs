namespace Ferry.Auth.Backend;

/// <summary>
/// The auth service's key-value store: keys are '/'-separated paths, values opaque bytes (JSON by convention,
/// see <see cref="BackendJson"/>). Every mutation gets a new, cluster-wide increasing revision; expired items
/// (TTL leases) are invisible to reads and are removed with a <see cref="BackendEventKind.Delete"/> event.
/// Implementations: <see cref="SqliteBackend"/> (embedded default); a PostgreSQL one shares the same contract
/// (revisions from a sequence, watch through an events table plus LISTEN/NOTIFY).
/// </summary>
public interface IBackend : IAsyncDisposable
{
    /// <summary>The item at <paramref name="key"/>, or null when missing or expired.</summary>
    ValueTask<BackendItem?> GetAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Creates or replaces an item; a non-null <paramref name="ttl"/> makes it expire. Returns the new revision.</summary>
    ValueTask<long> PutAsync(string key, ReadOnlyMemory<byte> value, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes an item; returns false when it did not exist.</summary>
    ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Every live item whose key starts with <paramref name="prefix"/>, ordered by key.</summary>
    ValueTask<IReadOnlyList<BackendItem>> RangeAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes <paramref name="value"/> only if the item's current revision is <paramref name="expectedRevision"/>
    /// (0 = the item must not exist). Returns the new revision, or null when the comparison failed.
    /// </summary>
    ValueTask<long?> CompareAndSwapAsync(string key, long expectedRevision, ReadOnlyMemory<byte> value, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <summary>The revision of the latest change (0 when none).</summary>
    ValueTask<long> CurrentRevisionAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Changes under <paramref name="prefix"/> with a revision above <paramref name="afterRevision"/> (negative: changes
    /// made after the call), by this or any other process sharing the store, in revision order, until
    /// <paramref name="cancellationToken"/> fires. To combine with a snapshot: read <see cref="CurrentRevisionAsync"/>,
    /// then <see cref="RangeAsync"/>, then watch from that revision (changes may repeat what the snapshot shows).
    /// </summary>
    IAsyncEnumerable<BackendEvent> WatchAsync(string prefix, long afterRevision = -1, CancellationToken cancellationToken = default);
}
