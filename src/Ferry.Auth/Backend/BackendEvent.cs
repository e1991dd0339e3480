namespace Ferry.Auth.Backend;

/// <summary>One change seen by a watcher.</summary>
/// <param name="Kind">Put or delete.</param>
/// <param name="Key">The key changed.</param>
/// <param name="Value">The new value for a put; null for a delete.</param>
/// <param name="Revision">The revision of the change.</param>
public sealed record BackendEvent(BackendEventKind Kind, string Key, byte[]? Value, long Revision);
