using System.Globalization;
using System.Text;

namespace Ferry.Client.Bench;

/// <summary>
/// A database reached without Ferry, from a connection string: PostgreSQL key=value (libpq) or
/// <c>postgresql://user:password@host:port/db?sslmode=...</c>; MySQL/MariaDB <c>mysql://user:password@host:port/db?ssl-mode=...</c>.
/// A host that starts with <c>/</c> (PostgreSQL) or <c>socket=PATH</c> (MySQL) is a Unix socket. The password may
/// also come from PGPASSWORD or MYSQL_PWD, which keeps it out of the process list.
/// </summary>
public sealed record DirectConnection
{
    /// <summary>Longest connection string accepted.</summary>
    public const int MaxLength = 4096;

    private static readonly string[] PostgresKeys = ["host", "hostaddr", "port", "user", "dbname", "password", "sslmode", "sslrootcert", "sslcert", "sslkey", "application_name", "connect_timeout"];
    private static readonly string[] MySqlKeys = ["ssl-mode", "sslmode", "ssl-ca", "ssl-cert", "ssl-key", "socket"];

    public required string Protocol { get; init; }

    public string Host { get; init; } = "127.0.0.1";

    public int Port { get; init; }

    /// <summary>A Unix socket path (the whole path, PostgreSQL's <c>.s.PGSQL.PORT</c> included).</summary>
    public string? SocketPath { get; init; }

    public string User { get; init; } = "";

    public string? Password { get; init; }

    public string Database { get; init; } = "";

    public DirectTlsMode Tls { get; init; } = DirectTlsMode.Prefer;

    public string? RootCertificateFile { get; init; }

    public string? CertificateFile { get; init; }

    public string? KeyFile { get; init; }

    public override string ToString() => SocketPath ?? $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Parses <paramref name="text"/>; a mistake throws <see cref="FerryClientException"/> naming it.</summary>
    public static DirectConnection Parse(string text, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        environment ??= Environment.GetEnvironmentVariable;
        if (text.Length > MaxLength)
        {
            throw new FerryClientException($"the connection string is longer than {MaxLength} characters");
        }

        var scheme = text.IndexOf("://", StringComparison.Ordinal) is > 0 and var at ? text[..at].ToLowerInvariant() : null;
        return scheme switch
        {
            null => Postgres(KeyValues(text), environment),
            "postgres" or "postgresql" => Postgres(Uri(text, "postgres"), environment),
            "mysql" or "mariadb" => MySql(Uri(text, "mysql"), environment),
            _ => throw new FerryClientException($"unknown connection string scheme \"{scheme}://\": use postgresql://, mysql:// or libpq's key=value form"),
        };
    }

    private static DirectConnection Postgres(Dictionary<string, string> values, Func<string, string?> environment)
    {
        Check(values, PostgresKeys, "PostgreSQL");
        var port = PortOf(values, 5432);
        var host = values.GetValueOrDefault("hostaddr") ?? values.GetValueOrDefault("host") ?? "127.0.0.1";
        var socket = host.StartsWith('/') ? Path.Combine(host, ".s.PGSQL." + port.ToString(CultureInfo.InvariantCulture)) : null;
        var user = values.GetValueOrDefault("user") ?? environment("PGUSER") ?? environment("USER") ?? "postgres";
        var tls = values.GetValueOrDefault("sslmode") switch
        {
            null => socket is null ? DirectTlsMode.Prefer : DirectTlsMode.Disable,
            "disable" or "allow" => DirectTlsMode.Disable,
            "prefer" => DirectTlsMode.Prefer,
            "require" => DirectTlsMode.Require,
            "verify-ca" => DirectTlsMode.VerifyCa,
            "verify-full" => DirectTlsMode.VerifyFull,
            var other => throw new FerryClientException($"sslmode={other} is not one of disable, allow, prefer, require, verify-ca, verify-full"),
        };
        return new DirectConnection
        {
            Protocol = DatabaseProtocols.Postgres,
            Host = host,
            Port = port,
            SocketPath = socket,
            User = user,
            Password = values.GetValueOrDefault("password") ?? environment("PGPASSWORD"),
            Database = values.GetValueOrDefault("dbname") ?? user,
            Tls = socket is not null ? DirectTlsMode.Disable : tls,
            RootCertificateFile = values.GetValueOrDefault("sslrootcert"),
            CertificateFile = values.GetValueOrDefault("sslcert"),
            KeyFile = values.GetValueOrDefault("sslkey"),
        };
    }

    private static DirectConnection MySql(Dictionary<string, string> values, Func<string, string?> environment)
    {
        Check(values, [.. MySqlKeys, "host", "port", "user", "password", "dbname"], "MySQL");
        var tls = (values.GetValueOrDefault("ssl-mode") ?? values.GetValueOrDefault("sslmode"))?.ToUpperInvariant() switch
        {
            null => DirectTlsMode.Prefer,
            "DISABLED" or "DISABLE" => DirectTlsMode.Disable,
            "PREFERRED" or "PREFER" => DirectTlsMode.Prefer,
            "REQUIRED" or "REQUIRE" => DirectTlsMode.Require,
            "VERIFY_CA" or "VERIFY-CA" => DirectTlsMode.VerifyCa,
            "VERIFY_IDENTITY" or "VERIFY-FULL" => DirectTlsMode.VerifyFull,
            var other => throw new FerryClientException($"ssl-mode={other} is not one of DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY"),
        };
        var socket = values.GetValueOrDefault("socket");
        return new DirectConnection
        {
            Protocol = DatabaseProtocols.MySql,
            Host = values.GetValueOrDefault("host") ?? "127.0.0.1",
            Port = PortOf(values, 3306),
            SocketPath = socket,
            User = values.GetValueOrDefault("user") ?? environment("USER") ?? "root",
            Password = values.GetValueOrDefault("password") ?? environment("MYSQL_PWD"),
            Database = values.GetValueOrDefault("dbname") ?? "",
            Tls = socket is not null ? DirectTlsMode.Disable : tls,
            RootCertificateFile = values.GetValueOrDefault("ssl-ca"),
            CertificateFile = values.GetValueOrDefault("ssl-cert"),
            KeyFile = values.GetValueOrDefault("ssl-key"),
        };
    }

    private static int PortOf(Dictionary<string, string> values, int defaultPort) =>
        !values.TryGetValue("port", out var text) ? defaultPort
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535 ? port
        : throw new FerryClientException($"port={text} is not a port (1-65535)");

    private static void Check(Dictionary<string, string> values, string[] known, string what)
    {
        foreach (var key in values.Keys)
        {
            if (!known.Contains(key))
            {
                throw new FerryClientException($"unknown {what} connection parameter \"{key}\": use {string.Join(", ", known)}");
            }
        }
    }

    /// <summary>libpq key=value pairs; a value may be single-quoted with backslash escapes.</summary>
    internal static Dictionary<string, string> KeyValues(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var i = 0;
        while (true)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            if (i == text.Length)
            {
                return values;
            }

            var eq = text.IndexOf('=', i);
            if (eq < 0)
            {
                throw new FerryClientException($"\"{text[i..]}\" is not key=value (a connection string is like \"host=127.0.0.1 port=5432 user=app dbname=app\")");
            }

            var key = text[i..eq].Trim();
            i = eq + 1;
            while (i < text.Length && text[i] == ' ')
            {
                i++;
            }

            var value = new StringBuilder();
            if (i < text.Length && text[i] == '\'')
            {
                i++;
                while (true)
                {
                    if (i == text.Length)
                    {
                        throw new FerryClientException($"the value of {key} has no closing quote");
                    }

                    if (text[i] == '\\' && i + 1 < text.Length)
                    {
                        value.Append(text[i + 1]);
                        i += 2;
                    }
                    else if (text[i] == '\'')
                    {
                        i++;
                        break;
                    }
                    else
                    {
                        value.Append(text[i++]);
                    }
                }
            }
            else
            {
                while (i < text.Length && !char.IsWhiteSpace(text[i]))
                {
                    value.Append(text[i++]);
                }
            }

            values[key] = value.ToString();
        }
    }

    /// <summary>scheme://[user[:password]@]host[:port][/database][?key=value&amp;...], percent-decoded.</summary>
    private static Dictionary<string, string> Uri(string text, string what)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var rest = text[(text.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var query = rest.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            foreach (var pair in rest[(query + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    throw new FerryClientException($"\"{pair}\" in the {what} URI is not key=value");
                }

                values[System.Uri.UnescapeDataString(pair[..eq])] = System.Uri.UnescapeDataString(pair[(eq + 1)..]);
            }

            rest = rest[..query];
        }

        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            if (slash + 1 < rest.Length)
            {
                values["dbname"] = System.Uri.UnescapeDataString(rest[(slash + 1)..]);
            }

            rest = rest[..slash];
        }

        var at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            var credentials = rest[..at];
            var colon = credentials.IndexOf(':', StringComparison.Ordinal);
            values["user"] = System.Uri.UnescapeDataString(colon < 0 ? credentials : credentials[..colon]);
            if (colon >= 0)
            {
                values["password"] = System.Uri.UnescapeDataString(credentials[(colon + 1)..]);
            }

            rest = rest[(at + 1)..];
        }

        if (rest.Length > 0)
        {
            var colon = rest.LastIndexOf(':');
            if (colon > 0 && !rest.EndsWith(']'))
            {
                values["port"] = rest[(colon + 1)..];
                rest = rest[..colon];
            }

            values.TryAdd("host", System.Uri.UnescapeDataString(rest.Trim('[', ']')));
        }

        return values;
    }
}
