namespace Ferry.Client;

/// <summary>A routed certificate just issued, with every file its login will write, none written yet.</summary>
public sealed record IssuedDatabaseLogin(DatabaseLogin Login, string CertificatePem, byte[] KeyPk8, byte[] KeyStore);
