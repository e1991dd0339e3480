namespace Ferry.Auth.Model;

/// <summary>A host that joined (<c>/hosts/ID</c>).</summary>
internal sealed class HostRecord
{
    public string HostId { get; set; } = "";

    public string Role { get; set; } = "";

    public DateTimeOffset JoinedAt { get; set; }

    public DateTimeOffset LastCertificateAt { get; set; }
}
