using System.Security.Cryptography.X509Certificates;

namespace Ferry.Identity;

/// <summary>Public view of one CA key: its id (hex subject key identifier), status and self-signed certificate (no private key).</summary>
public sealed record CaKeyInfo(string Id, CaKeyStatus Status, X509Certificate2 Certificate);
