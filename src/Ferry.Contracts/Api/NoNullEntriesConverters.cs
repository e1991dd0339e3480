using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ferry.Contracts;

/// <summary>
/// <c>List&lt;string&gt;</c> in the API (names, roles, addresses, request ids) read as the serializer reads it, except
/// that a <c>null</c> entry is refused: no entry of these lists may be null (none is <c>List&lt;string?&gt;</c>), and
/// code after the reader takes each entry as a string. Written as the serializer writes it.
/// </summary>
public sealed class NoNullStringListConverter : JsonConverter<List<string>>
{
    public override List<string> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("expected an array of strings");
        }

        var list = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            list.Add(reader.TokenType switch
            {
                JsonTokenType.String => reader.GetString()!,
                JsonTokenType.Null => throw new JsonException($"entry {list.Count} of the list is null: each entry is a string"),
                _ => throw new JsonException($"entry {list.Count} of the list is not a string"),
            });
        }

        return list;
    }

    public override void Write(Utf8JsonWriter writer, List<string> value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (string s in value)
        {
            writer.WriteStringValue(s);
        }

        writer.WriteEndArray();
    }
}

/// <summary>
/// <c>Dictionary&lt;string, string&gt;</c> in the API (labels, refusal reasons) read as the serializer reads it (a
/// repeated key: the last one), except that a <c>null</c> value is refused. Written as the serializer writes it (keys
/// as they are).
/// </summary>
public sealed class NoNullStringMapConverter : JsonConverter<Dictionary<string, string>>
{
    public override Dictionary<string, string> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("expected an object of strings");
        }

        var map = new Dictionary<string, string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            string key = reader.GetString()!;
            reader.Read();
            map[key] = reader.TokenType switch
            {
                JsonTokenType.String => reader.GetString()!,
                JsonTokenType.Null => throw new JsonException($"the value of \"{(key.Length <= 64 ? key : key[..64] + "…")}\" is null: each value is a string"),
                _ => throw new JsonException($"the value of \"{(key.Length <= 64 ? key : key[..64] + "…")}\" is not a string"),
            };
        }

        return map;
    }

    public override void Write(Utf8JsonWriter writer, Dictionary<string, string> value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var (key, text) in value)
        {
            writer.WriteString(key, text);
        }

        writer.WriteEndObject();
    }
}
