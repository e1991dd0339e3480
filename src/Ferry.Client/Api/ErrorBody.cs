namespace Ferry.Client.Api;

/// <summary>Every API error: <c>{"error":"..."}</c>.</summary>
internal sealed class ErrorBody
{
    public string Error { get; set; } = "";
}
