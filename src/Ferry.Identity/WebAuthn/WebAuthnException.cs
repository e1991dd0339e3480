namespace Ferry.Identity.WebAuthn;

/// <summary>A refused WebAuthn ceremony: <see cref="Reason"/> is a stable code (metrics, audit), the message names the cause.</summary>
public sealed class WebAuthnException(string reason, string message) : Exception(message)
{
    public string Reason { get; } = reason;
}
