using System.Text.Json.Serialization;

namespace Ferry.Web;

/// <summary>A connector on the login page.</summary>
internal sealed class WebSsoConnectorInfo
{
    public string Name { get; set; } = "";

    public string DisplayName { get; set; } = "";
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(List<WebSsoConnectorInfo>))]
internal sealed partial class WebSsoJsonContext : JsonSerializerContext;
