using System.Text.Json.Serialization;

namespace Ferry.Client.Bench;

/// <summary>Errors of one code: how many, and the first message.</summary>
public sealed class BenchErrorEntry
{
    public string Code { get; set; } = "";

    public long Count { get; set; }

    [JsonPropertyName("first_message")]
    public string FirstMessage { get; set; } = "";
}
