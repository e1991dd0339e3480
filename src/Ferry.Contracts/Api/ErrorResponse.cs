namespace Ferry.Contracts;

/// <summary>Every error: <c>{"error":"..."}</c> with a sentence that names the cause and the fix.</summary>
public sealed class ErrorResponse
{
    public string Error { get; set; } = "";
}
