namespace Ferry.Wire;

/// <summary>
/// Receives what one statement text gives, in order: for each result set its columns and rows, a completion tag,
/// notices, and at most one error. The default ignores everything (a load test counts, it does not keep rows);
/// rows are decoded to strings only when <see cref="WantsRows"/> says so.
/// </summary>
public class WireResultSink
{
    /// <summary>Whether <see cref="OnRow"/> is called (decoding each value costs a string).</summary>
    public virtual bool WantsRows => false;

    /// <summary>A new result set starts (the previous one, if any, is complete).</summary>
    public virtual void OnColumns(IReadOnlyList<WireColumn> columns)
    {
    }

    /// <summary>One row; <paramref name="size"/> is its size on the wire.</summary>
    public virtual void OnRow(string?[] values, long size)
    {
    }

    /// <summary>A statement completed: the PostgreSQL command tag or <c>OK n</c>/<c>SELECT n</c> for MySQL.</summary>
    public virtual void OnComplete(string tag)
    {
    }

    public virtual void OnNotice(string notice)
    {
    }

    public virtual void OnError(WireError error)
    {
    }
}
