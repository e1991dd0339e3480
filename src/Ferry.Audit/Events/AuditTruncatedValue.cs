namespace Ferry.Audit;

/// <summary>
/// A parameter an event shows cut (<c>truncated_parameters</c>): its position in <c>parameters</c>, its true
/// length in bytes, and the SHA-256 (lower-case hex) of all its bytes as the client sent them.
/// </summary>
public sealed record AuditTruncatedValue(int Index, long Length, string Sha256);
