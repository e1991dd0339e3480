namespace Ferry.Identity;

/// <summary>
/// What a database host needs for TLS with Ferry: PostgreSQL <c>ssl_cert_file</c>/<c>ssl_key_file</c>/<c>ssl_ca_file</c>,
/// MariaDB <c>ssl-cert</c>/<c>ssl-key</c>/<c>ssl-ca</c>. The server certificate is signed by the db-client CA, and
/// <see cref="CaPem"/> holds every trusted db-client root, so the database accepts Ferry's db-client certificates
/// and agents verify the database against the same roots. Write <see cref="KeyPem"/> with mode 0600.
/// </summary>
/// <param name="CertificatePem">Server certificate (PEM "CERTIFICATE").</param>
/// <param name="KeyPem">Server private key (PEM PKCS#8 "PRIVATE KEY"), generated server-side for this export.</param>
/// <param name="CaPem">Trusted db-client CA certificates (PEM, concatenated).</param>
public sealed record DatabaseServerBundle(string CertificatePem, string KeyPem, string CaPem);
