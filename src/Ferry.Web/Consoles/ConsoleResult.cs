namespace Ferry.Web.Consoles;

/// <summary>What one statement (or the last result of a multi-statement text) gave: kept up to the console's bounds.</summary>
internal sealed class ConsoleResult
{
    public List<ConsoleColumn> Columns { get; set; } = [];

    public List<string?[]> Rows { get; } = [];

    /// <summary>Rows the database sent for this result (also those dropped beyond the bounds).</summary>
    public long RowCount { get; set; }

    public long Bytes { get; set; }

    public bool Truncated { get; set; }

    public string? Tag { get; set; }

    public List<string> Notices { get; } = [];

    public ConsoleError? Error { get; set; }

    public TimeSpan Duration { get; set; }

    /// <summary>Adds a row within <paramref name="maxRows"/> and <paramref name="maxBytes"/>; beyond them it is only counted.</summary>
    public void AddRow(string?[] row, long size, int maxRows, long maxBytes)
    {
        RowCount++;
        if (Truncated || Rows.Count >= maxRows || Bytes + size > maxBytes)
        {
            Truncated = true;
            return;
        }

        Bytes += size;
        Rows.Add(row);
    }

    public void AddNotice(string notice)
    {
        if (Notices.Count < 100)
        {
            Notices.Add(notice.Length > 4096 ? notice[..4096] : notice);
        }
    }
}
