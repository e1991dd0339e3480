namespace Ferry.Identity;

public sealed partial class CertificateIssuer
{
    /// <summary>
    /// Issues a user identity certificate from the user CA: subject exactly CN=&lt;user&gt;, EKU clientAuth, and the
    /// identity in the Ferry user extension (<see cref="IdentityOids.UserIdentityExtension"/>, non-critical).
    /// NotAfter = now + min(<paramref name="requestedTtl"/>, <paramref name="maxSessionTtl"/>).
    /// </summary>
    /// <param name="key">The client's public key (from its CSR or SubjectPublicKeyInfo).</param>
    /// <param name="identity">Identity to certify; its <see cref="UserIdentity.NotBefore"/>/<see cref="UserIdentity.NotAfter"/>/<see cref="UserIdentity.SerialNumber"/> are ignored.</param>
    /// <param name="requestedTtl">Session lifetime the client asked for.</param>
    /// <param name="maxSessionTtl">The smallest <c>max_session_ttl</c> of the user's roles: the cap.</param>
    /// <exception cref="InvalidCertificateRequestException">Empty user, non-positive lifetime, or identity over <see cref="IdentityLimits.MaxExtensionBytes"/>.</exception>
    public IssuedCertificate IssueUserCertificate(ClientPublicKey key, UserIdentity identity, TimeSpan requestedTtl, TimeSpan maxSessionTtl)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(identity);
        if (maxSessionTtl <= TimeSpan.Zero)
        {
            throw new InvalidCertificateRequestException("the roles' max_session_ttl must be positive");
        }

        var subject = CommonNameOnly(identity.User, "user name");
        var encoded = UserIdentityExtension.Encode(identity);
        if (encoded.Length > IdentityLimits.MaxExtensionBytes)
        {
            throw new InvalidCertificateRequestException(
                $"identity of {identity.User} encodes to {encoded.Length} bytes, over the {IdentityLimits.MaxExtensionBytes}-byte limit: reduce the user's roles, traits or access requests");
        }

        var ttl = requestedTtl < maxSessionTtl ? requestedTtl : maxSessionTtl;
        var extension = CertificateWriter.Extension(IdentityOids.UserIdentityExtension, false, encoded);
        return identity.SessionNotAfter is { } limit
            ? Sign(CaKind.User, subject, key, ttl, ClientUsage, extension, CertificateWriter.Extension(IdentityOids.SessionLimitExtension, false, SessionLimitExtension.Encode(limit)))
            : Sign(CaKind.User, subject, key, ttl, ClientUsage, extension);
    }
}
