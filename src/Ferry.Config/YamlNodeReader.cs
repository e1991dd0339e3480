using System.Globalization;
using Ferry.Text;
using YamlDotNet.RepresentationModel;

namespace Ferry.Config;

/// <summary>
/// Reads a YAML mapping into typed values by hand (no reflection), tracking which keys were
/// used so that an unknown key is an error naming its path and line.
/// </summary>
public sealed class YamlNodeReader
{
    private readonly YamlMappingNode _node;
    private readonly string _file;
    private readonly string _path;
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);

    public YamlNodeReader(YamlMappingNode node, string file, string path)
    {
        _node = node;
        _file = file;
        _path = path;
    }

    public static YamlNodeReader FromText(string text, string file)
    {
        if (!StrictYaml.TryLoad(text, out var stream, out var syntax))
        {
            throw new ConfigException(StrictYaml.At(file, syntax.Line, syntax.Column, "", "invalid YAML: " + syntax.Message));
        }
        if (stream.Documents.Count == 0)
        {
            return new YamlNodeReader(new YamlMappingNode(), file, "");
        }
        if (stream.Documents[0].RootNode is not YamlMappingNode map)
        {
            throw new ConfigException(StrictYaml.At(file, stream.Documents[0].RootNode, "", "expected a mapping of keys at the top level"));
        }
        return new YamlNodeReader(map, file, "");
    }

    private string KeyPath(string key) => _path.Length == 0 ? key : _path + "." + key;

    public ConfigException Error(YamlNode node, string key, string message) =>
        new(StrictYaml.At(_file, node, KeyPath(key), message));

    private YamlNode? Find(string key)
    {
        _known.Add(key);
        return _node.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;
    }

    public bool Has(string key)
    {
        _known.Add(key);
        return _node.Children.ContainsKey(new YamlScalarNode(key));
    }

    public string? String(string key, string? fallback = null)
    {
        var node = Find(key);
        if (node is null || StrictYaml.IsNull(node))
        {
            return fallback;
        }
        if (node is not YamlScalarNode s)
        {
            throw Error(node, key, "expected a string");
        }
        return s.Value;
    }

    public bool Bool(string key, bool fallback)
    {
        var node = Find(key);
        if (node is null || StrictYaml.IsNull(node))
        {
            return fallback;
        }
        return node is YamlScalarNode { Value: "true" or "yes" or "on" } ? true
            : node is YamlScalarNode { Value: "false" or "no" or "off" } ? false
            : throw Error(node, key, $"expected true or false, got '{Text(node)}'");
    }

    public int Int(string key, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        var node = Find(key);
        if (node is null || StrictYaml.IsNull(node))
        {
            return fallback;
        }
        if (node is not YamlScalarNode s || !int.TryParse(s.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
        {
            throw Error(node, key, $"expected an integer, got '{Text(node)}'");
        }
        if (v < min || v > max)
        {
            throw Error(node, key, $"{v} is out of range [{min}, {max}]");
        }
        return v;
    }

    public long Size(string key, long fallback) =>
        Parsed(key, fallback, Units.TryParseSize, "a size such as 16MiB or 65536");

    public TimeSpan Duration(string key, TimeSpan fallback) =>
        Parsed(key, fallback, DurationText.TryParse, "a duration such as 30s, 5m or 12h");

    private delegate bool TryParser<T>(string? text, out T value);

    private T Parsed<T>(string key, T fallback, TryParser<T> parse, string expected)
    {
        var node = Find(key);
        if (node is null || StrictYaml.IsNull(node))
        {
            return fallback;
        }
        return node is YamlScalarNode s && parse(s.Value, out var v)
            ? v
            : throw Error(node, key, $"expected {expected}, got '{Text(node)}'");
    }

    public string Address(string key, string fallback)
    {
        var value = String(key, fallback)!;
        if (!Units.TryParseHostPort(value, out _, out _))
        {
            throw Error(Find(key)!, key, $"expected host:port, got '{value}'");
        }
        return value;
    }

    public T Enum<T>(string key, T fallback, params (string Name, T Value)[] values)
    {
        var node = Find(key);
        if (node is null || StrictYaml.IsNull(node))
        {
            return fallback;
        }
        var text = Text(node);
        foreach (var (name, value) in values)
        {
            if (name == text)
            {
                return value;
            }
        }
        throw Error(node, key, $"expected one of {string.Join(", ", values.Select(v => v.Name))}, got '{text}'");
    }

    public IReadOnlyList<string> StringList(string key)
    {
        var node = Find(key);
        if (node is null || StrictYaml.IsNull(node))
        {
            return [];
        }
        if (node is YamlScalarNode single)
        {
            return [single.Value ?? ""];
        }
        if (node is not YamlSequenceNode seq)
        {
            throw Error(node, key, "expected a list of strings");
        }
        var list = new List<string>();
        foreach (var item in seq)
        {
            list.Add(item is YamlScalarNode s ? s.Value ?? "" : throw Error(item, key, "expected a list of strings"));
        }
        return list;
    }

    public IReadOnlyDictionary<string, string> StringMap(string key)
    {
        var node = Find(key);
        if (node is null || StrictYaml.IsNull(node))
        {
            return new Dictionary<string, string>();
        }
        if (node is not YamlMappingNode map)
        {
            throw Error(node, key, "expected a mapping of strings");
        }
        var dict = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in map)
        {
            if (k is not YamlScalarNode ks || v is not YamlScalarNode vs)
            {
                throw Error(v, key, "expected a mapping of strings");
            }
            dict[ks.Value ?? ""] = vs.Value ?? "";
        }
        return dict;
    }

    public YamlNodeReader? Section(string key)
    {
        var node = Find(key);
        if (node is null || StrictYaml.IsNull(node))
        {
            return null;
        }
        return node is YamlMappingNode map
            ? new YamlNodeReader(map, _file, KeyPath(key))
            : throw Error(node, key, "expected a section (a mapping of keys)");
    }

    public IReadOnlyList<YamlNodeReader> SectionList(string key)
    {
        var node = Find(key);
        if (node is null || StrictYaml.IsNull(node))
        {
            return [];
        }
        if (node is not YamlSequenceNode seq)
        {
            throw Error(node, key, "expected a list");
        }
        var list = new List<YamlNodeReader>();
        var i = 0;
        foreach (var item in seq)
        {
            list.Add(item is YamlMappingNode m
                ? new YamlNodeReader(m, _file, $"{KeyPath(key)}[{i}]")
                : throw Error(item, key, $"item {i}: expected a mapping"));
            i++;
        }
        return list;
    }

    /// <summary>Throws for the first key that no reader asked for.</summary>
    public void RejectUnknownKeys()
    {
        foreach (var (k, _) in _node.Children)
        {
            var name = (k as YamlScalarNode)?.Value ?? "?";
            if (!_known.Contains(name))
            {
                var hint = _known.Count > 0 ? $" (known keys: {string.Join(", ", _known.Order(StringComparer.Ordinal))})" : "";
                throw new ConfigException(StrictYaml.At(_file, k, KeyPath(name), "unknown key" + hint));
            }
        }
    }

    public ConfigException ErrorAt(string key, string message)
    {
        var node = Find(key);
        return node is null
            ? new ConfigException(StrictYaml.At(_file, _node, KeyPath(key), message))
            : Error(node, key, message);
    }

    private static string Text(YamlNode node) => node is YamlScalarNode s ? s.Value ?? "" : node.NodeType.ToString().ToLowerInvariant();
}
