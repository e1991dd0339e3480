using System.Globalization;
using System.Security.Cryptography;

namespace Ferry.Client;

/// <summary>
/// Where <c>ferry proxy db</c> listens and what a local client must give: 127.0.0.1:<see cref="Port"/> with the
/// per-run <see cref="Secret"/> as the password (the default), the same without it (<c>--no-auth</c>), or a Unix
/// socket (mode 0600 in a 0700 directory) that only the user can open, with no password.
/// </summary>
public sealed record LocalProxyEndpoint
{
    /// <summary>The TCP port; on a Unix socket the port in the PostgreSQL socket name (<c>.s.PGSQL.PORT</c>).</summary>
    public int Port { get; init; }

    /// <summary>The Unix socket file, or null for TCP on 127.0.0.1.</summary>
    public string? SocketPath { get; init; }

    /// <summary>The password every client must give, or null when none is asked.</summary>
    public string? Secret { get; init; }

    /// <summary>127.0.0.1:<paramref name="port"/>, guarded by a fresh secret.</summary>
    public static LocalProxyEndpoint Tcp(int port) => new() { Port = port, Secret = NewSecret() };

    /// <summary>127.0.0.1:<paramref name="port"/> open to every local user (<c>--no-auth</c>).</summary>
    public static LocalProxyEndpoint TcpWithoutPassword(int port) => new() { Port = port };

    /// <summary>
    /// A Unix socket in <paramref name="directory"/>: <c>.s.PGSQL.PORT</c> for PostgreSQL (libpq's name, so
    /// <c>host=DIRECTORY port=PORT</c> finds it), <c>mysql.sock</c> for MySQL.
    /// </summary>
    public static LocalProxyEndpoint UnixSocket(string directory, string protocol, int port) => new()
    {
        Port = port,
        SocketPath = Path.Combine(Path.GetFullPath(directory), protocol == DatabaseProtocols.Postgres
            ? ".s.PGSQL." + port.ToString(CultureInfo.InvariantCulture)
            : "mysql.sock"),
    };

    /// <summary>32 letters and digits (190 bits): safe unquoted in URIs, connection strings and shells.</summary>
    public static string NewSecret() =>
        RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 32);
}
