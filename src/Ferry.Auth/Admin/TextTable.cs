using System.Text;

namespace Ferry.Auth.Admin;

/// <summary>Plain aligned columns for people.</summary>
internal static class TextTable
{
    public static string Render(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = new List<IReadOnlyList<string>> { headers };
        all.AddRange(rows);
        var widths = new int[headers.Count];
        foreach (var row in all)
        {
            for (var i = 0; i < widths.Length; i++)
            {
                widths[i] = Math.Max(widths[i], i < row.Count ? row[i].Length : 0);
            }
        }

        var sb = new StringBuilder();
        for (var r = 0; r < all.Count; r++)
        {
            var row = all[r];
            for (var i = 0; i < widths.Length; i++)
            {
                var cell = i < row.Count ? row[i] : "";
                sb.Append(i == widths.Length - 1 ? cell : cell.PadRight(widths[i] + 2));
            }

            sb.Append('\n');
            if (r == 0)
            {
                for (var i = 0; i < widths.Length; i++)
                {
                    sb.Append(new string('-', widths[i])).Append(i == widths.Length - 1 ? "" : "  ");
                }

                sb.Append('\n');
            }
        }

        return sb.ToString();
    }
}
