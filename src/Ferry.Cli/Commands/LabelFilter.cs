using Ferry.Client;
using Ferry.Contracts;

namespace Ferry.Cli.Commands;

/// <summary><c>--labels env=dev,team=core</c>: every pair must match.</summary>
internal sealed class LabelFilter
{
    private readonly List<KeyValuePair<string, string>> _pairs;

    private LabelFilter(List<KeyValuePair<string, string>> pairs) => _pairs = pairs;

    public bool IsEmpty => _pairs.Count == 0;

    public static LabelFilter Parse(string? text)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new FerryClientException($"label filter \"{part}\" must be key=value, e.g. --labels env=dev");
            }

            pairs.Add(new(part[..eq].Trim(), part[(eq + 1)..].Trim()));
        }

        return new LabelFilter(pairs);
    }

    public bool Matches(DatabaseEntry database) =>
        _pairs.All(p => database.Labels.TryGetValue(p.Key, out var v) && v == p.Value);
}
