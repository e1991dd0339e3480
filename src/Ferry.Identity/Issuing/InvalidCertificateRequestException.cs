namespace Ferry.Identity;

/// <summary>A public key, CSR or identity given for signing was refused; the message says why and what to do.</summary>
public sealed class InvalidCertificateRequestException : Exception
{
    /// <summary>Creates the exception.</summary>
    public InvalidCertificateRequestException()
    {
    }

    /// <summary>Creates the exception with a message naming the cause and the fix.</summary>
    public InvalidCertificateRequestException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the underlying error.</summary>
    public InvalidCertificateRequestException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
