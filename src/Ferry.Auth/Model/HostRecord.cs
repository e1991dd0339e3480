namespace Ferry.Auth.Model;

/// <summary>
/// A host that joined (<c>/hosts/ID</c>). Its certificate works on the host endpoints only while this record
/// exists: <c>ferryd admin hosts rm</c> deletes it.
/// </summary>
internal sealed class HostRecord
{
    public string HostId { get; set; } = "";

    public string Role { get; set; } = "";

    public DateTimeOffset JoinedAt { get; set; }

    public DateTimeOffset LastCertificateAt { get; set; }

    /// <summary>The DNS names of its latest certificate.</summary>
    public List<string>? DnsNames { get; set; }

    /// <summary>The address it last called the auth service from.</summary>
    public string? Address { get; set; }

    /// <summary>When it last called a host endpoint (written at most once a minute).</summary>
    public DateTimeOffset? LastSeenAt { get; set; }

    /// <summary>The expiry of its latest certificate.</summary>
    public DateTimeOffset? CertificateExpires { get; set; }

    /// <summary>A proxy's <c>proxy.tunnel_addr</c> (host:port agents dial), from its inventory reports; null when it gives none.</summary>
    public string? TunnelAddress { get; set; }

    /// <summary>When the proxy last reported <see cref="TunnelAddress"/> (written at most every <c>TunnelSeenWriteInterval</c>).</summary>
    public DateTimeOffset? TunnelReportedAt { get; set; }
}
