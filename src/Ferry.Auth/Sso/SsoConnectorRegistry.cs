using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using Ferry.Config;

namespace Ferry.Auth.Sso;

/// <summary>
/// The providers of the connectors in use, each built once per configuration (and client secret file version):
/// reading the secret (mode 0600 required, at most 4 KiB, never logged) and the optional CA file.
/// </summary>
internal sealed class SsoConnectorRegistry(TimeProvider time) : IDisposable
{
    public const int MaxSecretBytes = 4096;

    private readonly ConcurrentDictionary<string, (string Key, OidcProvider Provider)> _providers = new(StringComparer.Ordinal);

    /// <summary>The provider of <paramref name="connector"/>; built (secret and CA files read) when its configuration changed.</summary>
    public OidcProvider Provider(SsoConnectorConfig connector)
    {
        var key = CacheKey(connector);
        if (_providers.TryGetValue(connector.Name, out var current) && current.Key == key)
        {
            return current.Provider;
        }

        var provider = new OidcProvider(connector, ReadSecret(connector), time, ReadCaFile(connector));
        _providers[connector.Name] = (key, provider);
        return provider; // the replaced one is left to the GC: a login may still be using it
    }

    /// <summary>Checks the files a connector needs (secret mode and content, CA file); throws <see cref="AuthException"/> naming the fix.</summary>
    public static void CheckFiles(SsoConnectorConfig connector)
    {
        _ = ReadSecret(connector);
        _ = ReadCaFile(connector);
    }

    private static string CacheKey(SsoConnectorConfig c)
    {
        var stamp = c.ClientSecretFile is { } f && File.Exists(f) ? File.GetLastWriteTimeUtc(f).Ticks : 0;
        var caStamp = c.CaFile is { } ca && File.Exists(ca) ? File.GetLastWriteTimeUtc(ca).Ticks : 0;
        return string.Join('\u001f', c.Kind, c.IssuerUrl, c.ClientId, c.ClientSecretFile ?? "", c.RedirectUrl, c.CaFile ?? "", stamp, caStamp);
    }

    private static string? ReadSecret(SsoConnectorConfig c)
    {
        if (c.ClientSecretFile is not { } path)
        {
            return null;
        }

        try
        {
            if (!OperatingSystem.IsWindows())
            {
                var mode = File.GetUnixFileMode(path);
                if ((mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
                {
                    throw new AuthException(500, $"SSO connector \"{c.Name}\": client_secret_file {path} may be read by other users: run `chmod 600 {path}` (owned by the user ferryd runs as)");
                }
            }

            var info = new FileInfo(path);
            if (info.Length > MaxSecretBytes)
            {
                throw new AuthException(500, $"SSO connector \"{c.Name}\": client_secret_file {path} is larger than {MaxSecretBytes} bytes: it must hold only the client secret");
            }

            var secret = File.ReadAllText(path).Trim();
            return secret.Length > 0
                ? secret
                : throw new AuthException(500, $"SSO connector \"{c.Name}\": client_secret_file {path} is empty: write the client secret the provider gave you into it");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AuthException(500, $"SSO connector \"{c.Name}\": cannot read client_secret_file {path}: {e.Message}");
        }
    }

    private static X509Certificate2Collection? ReadCaFile(SsoConnectorConfig c)
    {
        if (c.CaFile is not { } path)
        {
            return null;
        }

        try
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(path);
            return roots.Count > 0
                ? roots
                : throw new AuthException(500, $"SSO connector \"{c.Name}\": ca_file {path} holds no PEM certificate");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new AuthException(500, $"SSO connector \"{c.Name}\": cannot read ca_file {path}: {e.Message}");
        }
    }

    public void Dispose()
    {
        foreach (var (_, p) in _providers.Values)
        {
            p.Dispose();
        }

        _providers.Clear();
    }
}
