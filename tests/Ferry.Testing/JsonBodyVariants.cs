using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Ferry.Testing;

/// <summary>
/// Request bodies for sweeps of an HTTP API: a complete sample of a contract type (every property set to a plausible
/// value of its type, lists with one entry, maps with one key), and variations of a body: each node left out, null,
/// of each other JSON kind, empty, long, a huge or negative number; and bodies that are not objects at all.
/// </summary>
public static class JsonBodyVariants
{
    /// <summary>Sets fields of a sample object (each must exist in it) to values the server takes.</summary>
    public static void Set(JsonNode node, params (string Name, JsonNode? Value)[] values)
    {
        foreach (var (name, value) in values)
        {
            if (!node.AsObject().ContainsKey(name))
            {
                throw new ArgumentException($"the sample has no \"{name}\"", nameof(values));
            }

            node[name] = value;
        }
    }

    /// <summary>
    /// Sends every variation of <paramref name="body"/> with <paramref name="send"/>; returns each 5xx answer (what was
    /// sent and what came back) and how many of each status came back.
    /// </summary>
    public static async Task<(List<string> Failures, SortedDictionary<int, int> Statuses)> SweepAsync(string label, JsonNode body, Func<string, Task<HttpResponseMessage>> send)
    {
        var failures = new List<string>();
        var statuses = new SortedDictionary<int, int>();
        foreach (var variant in Of(body))
        {
            using var response = await send(variant);
            var status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            if (status >= 500)
            {
                failures.Add($"{label} {status} for {Shorten(variant)}: {Shorten(await response.Content.ReadAsStringAsync())}");
            }
        }

        return (failures, statuses);
    }

    /// <summary>
    /// Gets <paramref name="path"/> with each of <paramref name="parameters"/> set to each of <see cref="OddQueryValues"/>,
    /// alone and repeated; returns each 5xx answer (what was sent and what came back).
    /// </summary>
    public static async Task<List<string>> QuerySweepAsync(string path, IEnumerable<string> parameters, Func<string, Task<HttpResponseMessage>> get)
    {
        var failures = new List<string>();
        foreach (var name in parameters)
        {
            foreach (var value in OddQueryValues)
            {
                foreach (var query in new[] { $"{name}={value}", $"{name}={value}&{name}={value}" })
                {
                    using var response = await get($"{path}?{query}");
                    if ((int)response.StatusCode >= 500)
                    {
                        failures.Add($"{path}?{Shorten(query)}: {(int)response.StatusCode} {Shorten(await response.Content.ReadAsStringAsync())}");
                    }
                }
            }
        }

        return failures;
    }

    /// <summary>Odd values for a query parameter: empty, huge, negative, far past and future, very long, escapes, control characters.</summary>
    public static readonly string[] OddQueryValues =
    [
        "", "x", "-1", "0", "1", "99999999999999999999", "1e308", "NaN", "-5m", "5000000d", "100000000h", "292000y",
        "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0000-00-00", "%00", "%FF%FE", "a%0Ab", new string('a', 3000), "*", "..%2F..",
    ];

    public static string Shorten(string s) => s.Length <= 300 ? s : s[..300] + "…";

    /// <summary>A body with every property set to a plausible value of its type (lists with one entry, maps with one key).</summary>
    public static JsonNode Sample<T>(JsonSerializerContext context, JsonTypeInfo<T> type) => SampleOf(context, type.Type, 0)!;

    private static JsonNode? SampleOf(JsonSerializerContext context, Type type, int depth)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
        {
            return "x";
        }

        if (type == typeof(bool))
        {
            return true;
        }

        if (type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(uint) || type == typeof(ulong))
        {
            return 1;
        }

        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
        {
            return 1.5;
        }

        if (type == typeof(DateTimeOffset) || type == typeof(DateTime))
        {
            return DateTimeOffset.UtcNow.ToString("O");
        }

        if (type == typeof(byte[]))
        {
            return "AAEC";
        }

        if (type.IsEnum)
        {
            return Enum.GetNames(type)[0];
        }

        // Lists and maps of strings have the API's own converters (their type info is opaque): by their CLR type.
        if (type.IsGenericType && type.GetGenericArguments() is [var only] && only == typeof(string) && typeof(IEnumerable<string>).IsAssignableFrom(type))
        {
            return new JsonArray("x");
        }

        if (type.IsGenericType && type.GetGenericArguments() is [var k, var v] && k == typeof(string) && v == typeof(string))
        {
            return new JsonObject { ["k"] = "v" };
        }

        if (depth > 4)
        {
            return null;
        }

        var info = context.GetTypeInfo(type);
        if (info is null)
        {
            return "x";
        }

        switch (info.Kind)
        {
            case JsonTypeInfoKind.Enumerable:
                return new JsonArray(SampleOf(context, info.ElementType!, depth + 1));
            case JsonTypeInfoKind.Dictionary:
                return new JsonObject { ["k"] = SampleOf(context, info.ElementType!, depth + 1) };
            case JsonTypeInfoKind.Object:
                var o = new JsonObject();
                foreach (var p in info.Properties)
                {
                    o[p.Name] = SampleOf(context, p.PropertyType, depth + 1);
                }

                return o;
            default:
                return "x";
        }
    }

    /// <summary>The body as it is, then each node of it replaced (or, in an object, left out) in each way.</summary>
    public static IEnumerable<string> Of(JsonNode body)
    {
        yield return body.ToJsonString();
        foreach (var whole in new[] { "", "null", "[]", "{}", "1", "\"x\"", "true", "{\"a\":", new string('[', 1000) + new string(']', 1000), "{\"x\":1}" })
        {
            yield return whole;
        }

        var paths = new List<string>();
        Collect(body, "$", paths);
        foreach (var path in paths)
        {
            yield return Replace(body, path, remove: true, null);
            foreach (var replacement in Replacements())
            {
                yield return Replace(body, path, remove: false, replacement);
            }
        }
    }

    private static IEnumerable<JsonNode?> Replacements() =>
    [
        null,
        JsonValue.Create(""),
        JsonValue.Create(new string('a', 3000)),
        JsonValue.Create("\u0000\uffff../../etc/passwd"),
        JsonValue.Create(-1),
        JsonValue.Create(0),
        JsonValue.Create(long.MaxValue),
        JsonValue.Create(1e308),
        JsonValue.Create(true),
        new JsonArray(),
        new JsonArray(JsonValue.Create((string?)null)),
        new JsonObject(),
        new JsonObject { ["k"] = null },
    ];

    private static void Collect(JsonNode? node, string path, List<string> paths)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, child) in o)
                {
                    var p = path + "." + key;
                    paths.Add(p);
                    Collect(child, p, paths);
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    var p = path + "[" + i + "]";
                    paths.Add(p);
                    Collect(a[i], p, paths);
                }

                break;
        }
    }

    /// <summary>A copy of <paramref name="body"/> with the node at <paramref name="path"/> removed or replaced.</summary>
    private static string Replace(JsonNode body, string path, bool remove, JsonNode? replacement)
    {
        var copy = body.DeepClone();
        var steps = Steps(path);
        JsonNode parent = copy;
        for (var i = 0; i < steps.Count - 1; i++)
        {
            parent = steps[i] is int index ? parent.AsArray()[index]! : parent.AsObject()[(string)steps[i]]!;
        }

        var last = steps[^1];
        if (last is int at)
        {
            var array = parent.AsArray();
            if (remove)
            {
                array.RemoveAt(at);
            }
            else
            {
                array[at] = replacement?.DeepClone();
            }
        }
        else
        {
            var obj = parent.AsObject();
            if (remove)
            {
                obj.Remove((string)last);
            }
            else
            {
                obj[(string)last] = replacement?.DeepClone();
            }
        }

        return copy.ToJsonString();
    }

    private static List<object> Steps(string path)
    {
        var steps = new List<object>();
        var i = 1; // after '$'
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = i + 1;
                while (end < path.Length && path[end] != '.' && path[end] != '[')
                {
                    end++;
                }

                steps.Add(path[(i + 1)..end]);
                i = end;
            }
            else
            {
                var end = path.IndexOf(']', i);
                steps.Add(int.Parse(path[(i + 1)..end], System.Globalization.CultureInfo.InvariantCulture));
                i = end + 1;
            }
        }

        return steps;
    }
}
