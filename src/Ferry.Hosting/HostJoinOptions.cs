using Ferry.Contracts;

namespace Ferry.Hosting;

/// <summary>How a standalone proxy or agent becomes a member of the cluster.</summary>
public sealed class HostJoinOptions
{
    /// <summary>Where the host certificate, its key (0600) and the cluster's CA bundles are kept.</summary>
    public required string Directory { get; init; }

    /// <summary><c>host:port</c> of the auth API, or of a proxy's port 3080 (the API is passed through).</summary>
    public required string AuthAddress { get; init; }

    /// <summary>
    /// Every address of the auth API, first preferred (several auth servers, or several proxies); empty means
    /// <see cref="AuthAddress"/> alone. API clients fail over between them (<see cref="AuthApiClientOptions.Addresses"/>).
    /// </summary>
    public IReadOnlyList<string> AuthAddresses { get; init; } = [];

    /// <summary>The addresses API clients use: <see cref="AuthAddresses"/>, or <see cref="AuthAddress"/> alone.</summary>
    public IReadOnlyList<string> AllAuthAddresses => AuthAddresses.Count > 0 ? AuthAddresses : [AuthAddress];

    /// <summary><c>proxy</c> or <c>agent</c>.</summary>
    public required string Role { get; init; }

    public required string HostId { get; init; }

    /// <summary>The single-use join token; only needed when there is no valid stored certificate.</summary>
    public string? Token { get; init; }

    /// <summary><c>sha256:hex</c> of the host CA certificate; without it the first contact trusts what it sees (and says so).</summary>
    public string? CaPin { get; init; }

    public IReadOnlyList<string> DnsNames { get; init; } = [];

    public IReadOnlyList<string> Ips { get; init; } = [];
}
