using System.Net;

namespace Ferry.Identity;

/// <summary>Who a host certificate speaks for.</summary>
public sealed class HostIdentity
{
    /// <summary>Unique host id (also the certificate's CN).</summary>
    public required string HostId { get; init; }

    /// <summary>Role the host joined as.</summary>
    public required HostRole Role { get; init; }

    /// <summary>Name of the cluster whose host CA issued the certificate.</summary>
    public required string ClusterName { get; init; }

    /// <summary>DNS names from the subject alternative name extension.</summary>
    public IReadOnlyList<string> DnsNames { get; init; } = [];

    /// <summary>IP addresses from the subject alternative name extension.</summary>
    public IReadOnlyList<IPAddress> IpAddresses { get; init; } = [];

    /// <summary>Start of validity.</summary>
    public DateTimeOffset NotBefore { get; init; }

    /// <summary>End of validity.</summary>
    public DateTimeOffset NotAfter { get; init; }

    /// <summary>Certificate serial number in lower-case hex.</summary>
    public string SerialNumber { get; init; } = "";
}
