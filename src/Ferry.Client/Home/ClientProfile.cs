namespace Ferry.Client;

/// <summary>The saved login (<c>profile.json</c>): where the cluster is, who logged in, which CA was pinned.</summary>
public sealed class ClientProfile
{
    /// <summary>Proxy address as given to <c>ferry login --proxy</c>, normalised to host:port.</summary>
    public string Proxy { get; set; } = "";

    /// <summary>The proxy's MySQL listener (host:port); default: the proxy host with port 3036.</summary>
    public string MySqlProxy { get; set; } = "";

    public string User { get; set; } = "";

    /// <summary>The single sign-on connector of the last login (<c>ferry login --sso NAME</c>); empty for a local user.</summary>
    public string Connector { get; set; } = "";

    public string Cluster { get; set; } = "";

    /// <summary>The pinned host CA fingerprint(s), <c>sha256:…</c>.</summary>
    public List<string> CaPins { get; set; } = [];

    /// <summary>Development only: the proxy's certificate is not verified.</summary>
    public bool Insecure { get; set; }

    public DateTimeOffset LoggedIn { get; set; }

    public DateTimeOffset Expires { get; set; }
}
