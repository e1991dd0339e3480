namespace Ferry.Audit;

/// <summary>The persisted ack cursor of a spool (cursor.json).</summary>
internal sealed class SpoolCursor
{
    public long Segment { get; set; }

    public long Offset { get; set; }
}
