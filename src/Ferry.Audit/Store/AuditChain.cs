using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;

namespace Ferry.Audit;

/// <summary>
/// The per-event hash chain shared by every audit store: the canonical JSON of an event (the bytes that are stored
/// and hashed) and h_i = SHA-256(h_(i-1) || json_i), starting from 32 zero bytes (or the anchor hash kept by retention).
/// </summary>
public static class AuditChain
{
    /// <summary>Bytes of a chain hash.</summary>
    public const int HashSize = StoreFiles.HashSize;

    /// <summary>The hash before the first event: 32 zero bytes.</summary>
    public static byte[] Genesis() => new byte[HashSize];

    /// <summary>
    /// The canonical JSON of <paramref name="e"/>, exactly as the segment store writes it into a record (an event past
    /// the record limit has its bulky fields replaced by a note, as there).
    /// </summary>
    public static byte[] CanonicalJson(AuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var buffer = new ArrayBufferWriter<byte>(1024);
        using var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true });
        var payload = RecordFraming.WriteEvent(buffer, json, e, 0, out var start);
        return buffer.WrittenSpan.Slice(start + RecordFraming.HeaderSize, payload).ToArray();
    }

    /// <summary>h = SHA-256(<paramref name="previous"/> || <paramref name="json"/>) into <paramref name="destination"/>.</summary>
    public static void Next(IncrementalHash sha, ReadOnlySpan<byte> previous, ReadOnlySpan<byte> json, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(sha);
        StoreFiles.ChainHash(sha, previous, json, destination);
    }

    /// <summary>Parses canonical JSON back into an event.</summary>
    public static AuditEvent Parse(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, AuditJsonContext.Default.AuditEvent) ?? throw new JsonException("null audit event");
}
