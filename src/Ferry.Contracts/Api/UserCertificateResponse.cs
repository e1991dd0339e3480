namespace Ferry.Contracts;

/// <summary>
/// Answer of <c>POST /v1/login</c> and <c>POST /v1/certs/user</c>:
/// <c>{"certificate_pem","user_ca_pem","host_ca_pem","expires"}</c>. The CA PEMs hold every trusted key (rotation).
/// </summary>
public sealed class UserCertificateResponse
{
    public string CertificatePem { get; set; } = "";

    public string UserCaPem { get; set; } = "";

    public string HostCaPem { get; set; } = "";

    public DateTimeOffset Expires { get; set; }

    /// <summary>True for a session-MFA certificate (lives at most a minute for opening connections).</summary>
    public bool? MfaVerified { get; set; }

    /// <summary>For a session-MFA certificate: how long sessions opened with it may run.</summary>
    public DateTimeOffset? SessionExpires { get; set; }

    /// <summary>When asked for: the grant that obtains new session-MFA certificates for this key and route without a code.</summary>
    public string? MfaGrant { get; set; }

    /// <summary>End of <see cref="MfaGrant"/>'s window.</summary>
    public DateTimeOffset? MfaGrantExpires { get; set; }
}
