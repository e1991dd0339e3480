namespace Ferry.Audit;

/// <summary>Outcome of reading one framed record.</summary>
internal enum RecordStatus
{
    Ok,
    End,
    Torn,
    Corrupt,
}
