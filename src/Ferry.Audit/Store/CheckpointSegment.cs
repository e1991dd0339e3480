namespace Ferry.Audit;

/// <summary>How a sealed segment ends, as recorded in the checkpoint.</summary>
internal sealed class CheckpointSegment
{
    public long Segment { get; set; }

    public int Count { get; set; }

    public string LastHash { get; set; } = "";
}
