using Ferry.Wire;

namespace Ferry.Web.Consoles;

/// <summary>Builds a <see cref="ConsoleResult"/> from what a wire client reads: the last result set of a multi-statement text is kept.</summary>
internal sealed class ConsoleResultSink(WebOptions options, bool tagOnlyWithoutColumns) : WireResultSink
{
    public ConsoleResult Result { get; private set; } = new();

    public override bool WantsRows => true;

    public override void OnColumns(IReadOnlyList<WireColumn> columns)
    {
        var next = new ConsoleResult { Columns = [.. columns.Select(c => new ConsoleColumn { Name = c.Name, Type = c.Type })] };
        Result.Notices.ForEach(next.AddNotice);
        Result = next;
    }

    public override void OnRow(string?[] values, long size) => Result.AddRow(values, size, options.MaxResultRows, options.MaxResultBytes);

    public override void OnComplete(string tag)
    {
        // MySQL: an OK after a result set (the end of a CALL) does not replace its SELECT n.
        if (!tagOnlyWithoutColumns || Result.Columns.Count == 0 || !tag.StartsWith("OK ", StringComparison.Ordinal))
        {
            Result.Tag = tag;
        }
    }

    public override void OnNotice(string notice) => Result.AddNotice(notice);

    public override void OnError(WireError error) =>
        Result.Error = new ConsoleError { Code = error.Code, Message = error.Message, Detail = error.Detail };
}
