using System.Text;

namespace Ferry.Text;

/// <summary>
/// Left-aligned columns for people, two spaces apart, header first (optionally underlined with dashes);
/// no trailing spaces; a short row leaves its last cells empty.
/// </summary>
public sealed class TextTable(params string[] headers)
{
    private readonly List<IReadOnlyList<string>> _rows = [headers];

    /// <summary>A line of dashes under each header.</summary>
    public bool UnderlineHeaders { get; init; }

    /// <summary>The whole table with underlined headers, as the admin commands print it.</summary>
    public static string RenderUnderlined(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows) =>
        new TextTable([.. headers]) { UnderlineHeaders = true }.AddRange(rows).ToString();

    public TextTable Add(params string[] cells)
    {
        _rows.Add(cells);
        return this;
    }

    public TextTable AddRange(IEnumerable<IReadOnlyList<string>> rows)
    {
        _rows.AddRange(rows);
        return this;
    }

    public void Write(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Write(ToString());
    }

    /// <summary>The table, each line ended by '\n'.</summary>
    public override string ToString()
    {
        var widths = new int[headers.Length];
        foreach (var row in _rows)
        {
            for (var i = 0; i < widths.Length; i++)
            {
                widths[i] = Math.Max(widths[i], i < row.Count ? row[i].Length : 0);
            }
        }

        var sb = new StringBuilder();
        for (var r = 0; r < _rows.Count; r++)
        {
            var row = _rows[r];
            AppendLine(sb, widths, i => i < row.Count ? row[i] : "");
            if (r == 0 && UnderlineHeaders)
            {
                AppendLine(sb, widths, i => new string('-', widths[i]));
            }
        }

        return sb.ToString();
    }

    private static void AppendLine(StringBuilder sb, int[] widths, Func<int, string> cell)
    {
        var start = sb.Length;
        for (var i = 0; i < widths.Length; i++)
        {
            sb.Append(i == widths.Length - 1 ? cell(i) : cell(i).PadRight(widths[i] + 2));
        }

        var end = sb.Length;
        while (end > start && sb[end - 1] == ' ')
        {
            end--;
        }

        sb.Length = end;
        sb.Append('\n');
    }
}
