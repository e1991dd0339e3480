namespace Ferry.Client.Bench;

/// <summary>TLS to a database reached directly (libpq's sslmode; MySQL's ssl-mode maps onto it).</summary>
public enum DirectTlsMode
{
    Disable,

    /// <summary>TLS when the server offers it, without checking its certificate.</summary>
    Prefer,

    /// <summary>TLS or fail, without checking the certificate.</summary>
    Require,

    /// <summary>TLS with a certificate chained to the root given (or the system's roots).</summary>
    VerifyCa,

    /// <summary>As <see cref="VerifyCa"/>, and the certificate names the host.</summary>
    VerifyFull,
}
