namespace Ferry.Auth.Backend;

/// <summary>A stored item.</summary>
/// <param name="Key">Its key.</param>
/// <param name="Value">Its bytes.</param>
/// <param name="Revision">The revision of the last write.</param>
/// <param name="Expires">When its lease ends, if it has one.</param>
public sealed record BackendItem(string Key, byte[] Value, long Revision, DateTimeOffset? Expires);
