using System.Text.Json;

namespace Ferry.Audit;

/// <summary>
/// Events on their way from the spool to the store, as the JSON array the auth service takes
/// (<c>POST /v1/audit/events</c>). The spool's records are spliced into the array as they were written, not
/// deserialised and written again: shipping costs a copy, not a parse and a serialisation per event.
/// </summary>
public sealed class AuditBatch
{
    private List<AuditEvent>? _events;

    /// <summary>Wraps <paramref name="json"/>, a JSON array of <paramref name="count"/> serialised <see cref="AuditEvent"/>s.</summary>
    public AuditBatch(ReadOnlyMemory<byte> json, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Json = json;
        Count = count;
    }

    /// <summary>Number of events in <see cref="Json"/>.</summary>
    public int Count { get; }

    /// <summary>The events as one JSON array (UTF-8).</summary>
    public ReadOnlyMemory<byte> Json { get; }

    /// <summary>The events, parsed on first use (an in-process store, tests).</summary>
    public IReadOnlyList<AuditEvent> Events =>
        _events ??= Count == 0 ? [] : JsonSerializer.Deserialize(Json.Span, AuditJsonContext.Default.ListAuditEvent) ?? [];
}
