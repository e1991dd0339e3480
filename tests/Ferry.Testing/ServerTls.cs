namespace Ferry.Testing;

/// <summary>
/// The TLS material a database fixture is configured with: the CA whose client certificates it
/// trusts (later Ferry's db-client CA) and its own server certificate and key.
/// </summary>
public sealed record ServerTls(string ClientCaPem, string ServerCertificatePem, string ServerKeyPem);
