using System.Globalization;
using System.Text.RegularExpressions;

namespace Ferry.Agent.MySql;

/// <summary>
/// Finds the thread id in <c>KILL [HARD|SOFT] [QUERY|CONNECTION] &lt;id&gt;</c>, the statement MySQL clients
/// send from a second connection to cancel a query, so that the id the client was greeted with can be
/// replaced by the server's thread id. <c>KILL QUERY ID &lt;query id&gt;</c> and <c>KILL USER</c> are left alone.
/// </summary>
internal static partial class MySqlKillStatement
{
    /// <summary>Longest statement looked at; a KILL is short.</summary>
    public const int MaxLength = 200;

    [GeneratedRegex(@"^\s*KILL\s+(?:(?:HARD|SOFT)\s+)?(?:(?:QUERY|CONNECTION)\s+)?(?<id>\d{1,10})\s*;?\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Kill();

    /// <summary>True when <paramref name="sql"/> is a KILL of one thread id; <paramref name="idStart"/> and <paramref name="idLength"/> locate it.</summary>
    public static bool TryParse(string sql, out uint id, out int idStart, out int idLength)
    {
        id = 0;
        idStart = idLength = 0;
        if (sql.Length > MaxLength)
        {
            return false;
        }
        var m = Kill().Match(sql);
        if (!m.Success)
        {
            return false;
        }
        var g = m.Groups["id"];
        if (!uint.TryParse(g.ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out id))
        {
            return false;
        }
        idStart = g.Index;
        idLength = g.Length;
        return true;
    }

    /// <summary>The statement with its thread id replaced.</summary>
    public static string Rewrite(string sql, int idStart, int idLength, uint threadId) =>
        string.Concat(sql.AsSpan(0, idStart), threadId.ToString(CultureInfo.InvariantCulture), sql.AsSpan(idStart + idLength));
}
