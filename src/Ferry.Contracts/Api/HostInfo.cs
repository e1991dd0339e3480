namespace Ferry.Contracts;

/// <summary>A registered host, as <c>ferryd admin hosts ls</c> shows it.</summary>
public sealed class HostInfo
{
    public string HostId { get; set; } = "";

    public string Role { get; set; } = "";

    /// <summary>The DNS names in its certificate.</summary>
    public List<string> Names { get; set; } = [];

    /// <summary>The address it last called the auth service from.</summary>
    public string Address { get; set; } = "";

    public DateTimeOffset JoinedAt { get; set; }

    public DateTimeOffset? LastSeenAt { get; set; }

    public DateTimeOffset? CertificateExpires { get; set; }
}
