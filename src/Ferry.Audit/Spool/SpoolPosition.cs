namespace Ferry.Audit;

/// <summary>A place in the spool: segment number and byte offset of the next record.</summary>
internal readonly record struct SpoolPosition(long Segment, long Offset) : IComparable<SpoolPosition>
{
    public int CompareTo(SpoolPosition other)
    {
        int c = Segment.CompareTo(other.Segment);
        return c != 0 ? c : Offset.CompareTo(other.Offset);
    }

    public static bool operator <(SpoolPosition a, SpoolPosition b) => a.CompareTo(b) < 0;

    public static bool operator >(SpoolPosition a, SpoolPosition b) => a.CompareTo(b) > 0;

    public static bool operator <=(SpoolPosition a, SpoolPosition b) => a.CompareTo(b) <= 0;

    public static bool operator >=(SpoolPosition a, SpoolPosition b) => a.CompareTo(b) >= 0;
}
