using System.Security.Cryptography.X509Certificates;
using Ferry.Contracts;

namespace Ferry.Client;

/// <summary>
/// The outcome of the first step of a login: the cluster's CAs, fetched over a connection verified against the pinned
/// host CA. <see cref="FirstContact"/> says the pin is new (show <see cref="Pins"/> to the person).
/// </summary>
public sealed record ClusterTrust(
    ProxyAddress Address,
    CaResponse Ca,
    X509Certificate2Collection HostCas,
    IReadOnlyList<CaPin> Pins,
    bool FirstContact,
    ServerTrust Trust);
