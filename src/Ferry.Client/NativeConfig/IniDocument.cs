using System.Text;

namespace Ferry.Client;

/// <summary>
/// A minimal editor for INI-style files (<c>pg_service.conf</c>, <c>my.cnf</c>) that changes only the sections it is
/// asked to change: every other line (comments, blank lines, other sections, <c>!include</c>) is kept byte for byte.
/// </summary>
public sealed class IniDocument
{
    private readonly List<string> _lines;
    private readonly string _newLine;

    private IniDocument(List<string> lines, string newLine)
    {
        _lines = lines;
        _newLine = newLine;
    }

    public static IniDocument Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var newLine = text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        var lines = text.Length == 0 ? [] : text.Split(newLine).ToList();
        if (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1); // the final newline
        }

        return new IniDocument(lines, newLine);
    }

    public static IniDocument Load(string path) => Parse(File.Exists(path) ? File.ReadAllText(path) : "");

    /// <summary>Section names in file order.</summary>
    public IReadOnlyList<string> Sections => [.. _lines.Select(SectionName).OfType<string>()];

    /// <summary>The key=value pairs of <paramref name="section"/> (comments skipped), or null when absent.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Get(string section)
    {
        var (start, end) = Find(section);
        if (start < 0)
        {
            return null;
        }

        var pairs = new List<KeyValuePair<string, string>>();
        for (var i = start + 1; i < end; i++)
        {
            var line = _lines[i].Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            pairs.Add(eq < 0 ? new(line, "") : new(line[..eq].Trim(), line[(eq + 1)..].Trim()));
        }

        return pairs;
    }

    /// <summary>Replaces the body of <paramref name="section"/> with <paramref name="values"/>, or appends the section.</summary>
    public void Set(string section, IEnumerable<KeyValuePair<string, string>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var body = values.Select(kv => kv.Key + "=" + kv.Value).ToList();
        var (start, end) = Find(section);
        if (start >= 0)
        {
            // Keep blank lines that separate this section from the next one.
            var keepFrom = end;
            while (keepFrom - 1 > start && string.IsNullOrWhiteSpace(_lines[keepFrom - 1]))
            {
                keepFrom--;
            }

            _lines.RemoveRange(start + 1, keepFrom - start - 1);
            _lines.InsertRange(start + 1, body);
            return;
        }

        if (_lines.Count > 0 && !string.IsNullOrWhiteSpace(_lines[^1]))
        {
            _lines.Add("");
        }

        _lines.Add("[" + section + "]");
        _lines.AddRange(body);
    }

    /// <summary>Removes <paramref name="section"/> (header and body, and a now-redundant blank line). False when absent.</summary>
    public bool Remove(string section)
    {
        var (start, end) = Find(section);
        if (start < 0)
        {
            return false;
        }

        var keepFrom = end;
        while (keepFrom - 1 > start && string.IsNullOrWhiteSpace(_lines[keepFrom - 1]))
        {
            keepFrom--;
        }

        _lines.RemoveRange(start, keepFrom - start);
        // One separating blank line is enough: drop the one before the section if another (or the end) follows.
        if (start > 0 && string.IsNullOrWhiteSpace(_lines[start - 1]) && (start == _lines.Count || string.IsNullOrWhiteSpace(_lines[start])))
        {
            _lines.RemoveAt(start - 1);
        }

        return true;
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var line in _lines)
        {
            sb.Append(line).Append(_newLine);
        }

        return sb.ToString();
    }

    /// <summary>Writes the document to <paramref name="path"/> atomically, keeping the file's mode (0600 for a new file).</summary>
    public void Save(string path)
    {
        var mode = File.Exists(path) ? File.GetUnixFileMode(path) : SecureFile.OwnerOnly;
        SecureFile.Write(path, ToString(), mode);
    }

    private (int Start, int End) Find(string section)
    {
        for (var i = 0; i < _lines.Count; i++)
        {
            if (SectionName(_lines[i]) == section)
            {
                var end = i + 1;
                while (end < _lines.Count && SectionName(_lines[end]) is null)
                {
                    end++;
                }

                return (i, end);
            }
        }

        return (-1, -1);
    }

    private static string? SectionName(string line)
    {
        var t = line.Trim();
        return t.Length >= 2 && t[0] == '[' && t[^1] == ']' ? t[1..^1].Trim() : null;
    }
}
