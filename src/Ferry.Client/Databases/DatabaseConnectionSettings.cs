using System.Globalization;
using System.Text;

namespace Ferry.Client;

/// <summary>
/// How a native client reaches one database through Ferry (<c>ferry db config</c>): host, port, user, database,
/// certificate files, as libpq keywords, a URI, a JDBC URL and environment variables.
/// </summary>
public sealed class DatabaseConnectionSettings
{
    public string Name { get; set; } = "";

    public string Protocol { get; set; } = "";

    public string Host { get; set; } = "";

    public int Port { get; set; }

    public string User { get; set; } = "";

    public string Database { get; set; } = "";

    public string CaFile { get; set; } = "";

    public string CertificateFile { get; set; } = "";

    public string KeyFile { get; set; } = "";

    /// <summary>The key as PKCS#8 DER, for pgjdbc.</summary>
    public string KeyPk8File { get; set; } = "";

    /// <summary>PKCS#12 key store (routed certificate and key), for MariaDB Connector/J and other Java clients.</summary>
    public string KeyStoreFile { get; set; } = "";

    public string KeyStorePassword { get; set; } = "";

    /// <summary><c>verify-full</c> (PostgreSQL) or <c>VERIFY_IDENTITY</c> (MySQL).</summary>
    public string SslMode { get; set; } = "";

    /// <summary>libpq keyword string, or the mysql command line options.</summary>
    public string ConnectionString { get; set; } = "";

    public string Uri { get; set; } = "";

    public string JdbcUrl { get; set; } = "";

    public DateTimeOffset Expires { get; set; }

    public static DatabaseConnectionSettings From(DatabaseLogin login)
    {
        ArgumentNullException.ThrowIfNull(login);
        var s = new DatabaseConnectionSettings
        {
            Name = login.Name,
            Protocol = login.Protocol,
            Host = login.Host,
            Port = login.Port,
            User = login.DbUser,
            Database = login.DbName,
            CaFile = login.CaFile,
            CertificateFile = login.CertificateFile,
            KeyFile = login.KeyFile,
            KeyPk8File = login.KeyPk8File,
            KeyStoreFile = login.KeyStoreFile,
            KeyStorePassword = login.KeyStorePassword,
            Expires = login.Expires,
        };
        var port = login.Port.ToString(CultureInfo.InvariantCulture);
        var host = login.Host.Contains(':', StringComparison.Ordinal) ? "[" + login.Host + "]" : login.Host;
        if (login.IsPostgres)
        {
            s.SslMode = "verify-full";
            s.ConnectionString = string.Join(' ', PostgresKeywords(login).Select(kv => kv.Key + "=" + LibpqQuote(kv.Value)));
            var query = $"sslmode=verify-full&sslrootcert={Escape(login.CaFile)}&sslcert={Escape(login.CertificateFile)}&sslkey={Escape(login.KeyFile)}";
            s.Uri = $"postgresql://{Escape(login.DbUser)}@{host}:{port}/{Escape(login.DbName)}?{query}";
            // pgjdbc reads the key only as PKCS#8 DER (or PKCS#12); the PEM certificate files it reads as they are.
            s.JdbcUrl = $"jdbc:postgresql://{host}:{port}/{Escape(login.DbName)}?user={Escape(login.DbUser)}&sslmode=verify-full&sslrootcert={Escape(login.CaFile)}&sslcert={Escape(login.CertificateFile)}&sslkey={Escape(login.KeyPk8File)}";
        }
        else
        {
            s.SslMode = "VERIFY_IDENTITY";
            s.ConnectionString = string.Join(' ', MySqlArguments(login, mariaDb: false));
            s.Uri = $"mysql://{Escape(login.DbUser)}@{host}:{port}/{Escape(login.DbName)}?ssl-mode=VERIFY_IDENTITY&ssl-ca={Escape(login.CaFile)}&ssl-cert={Escape(login.CertificateFile)}&ssl-key={Escape(login.KeyFile)}";
            // MariaDB Connector/J (2.x and 3.x): useSsl verifies the server's certificate and name against serverSslCert
            // (PEM); the client certificate and key come from a key store (Java reads no PEM key). Its options are not
            // URL-decoded, so the paths go in as they are.
            s.JdbcUrl = $"jdbc:mariadb://{host}:{port}/{Escape(login.DbName)}?user={Escape(login.DbUser)}&useSsl=true&serverSslCert={login.CaFile}&keyStore={login.KeyStoreFile}&keyStoreType=PKCS12&keyStorePassword={login.KeyStorePassword}";
        }

        return s;
    }

    /// <summary>The libpq settings, in the order written to <c>pg_service.conf</c>.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> PostgresKeywords(DatabaseLogin login)
    {
        ArgumentNullException.ThrowIfNull(login);
        var list = Endpoint(login, "dbname");
        list.Add(new("sslmode", "verify-full"));
        list.Add(new("sslrootcert", login.CaFile));
        list.Add(new("sslcert", login.CertificateFile));
        list.Add(new("sslkey", login.KeyFile));
        return list;
    }

    /// <summary>
    /// The <c>[client_ferry-NAME]</c> option group, for a MariaDB client (<c>ssl-verify-server-cert</c>) or Oracle's
    /// MySQL client (<c>ssl-mode=VERIFY_IDENTITY</c>): each client warns about the other's option, even with <c>loose-</c>.
    /// Only options every client tool knows (mysqladmin, mysqlshow, mysqlimport, mysqldump refuse <c>database</c>):
    /// the database is in <see cref="MySqlClientOptions"/>.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> MySqlOptions(DatabaseLogin login, bool mariaDb)
    {
        ArgumentNullException.ThrowIfNull(login);
        var list = Endpoint(login, databaseKey: null);
        list.Add(new("ssl-ca", login.CaFile));
        list.Add(new("ssl-cert", login.CertificateFile));
        list.Add(new("ssl-key", login.KeyFile));
        list.Add(mariaDb ? new("ssl-verify-server-cert", "1") : new("ssl-mode", "VERIFY_IDENTITY"));
        return list;
    }

    /// <summary>What only the <c>mysql</c>/<c>mariadb</c> client reads (its own group): the default database.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> MySqlClientOptions(DatabaseLogin login)
    {
        ArgumentNullException.ThrowIfNull(login);
        return login.DbName.Length > 0 ? [new("database", login.DbName)] : [];
    }

    /// <summary>host, port, user and (when set) the database under <paramref name="databaseKey"/>: how every client file starts.</summary>
    private static List<KeyValuePair<string, string>> Endpoint(DatabaseLogin login, string? databaseKey)
    {
        var list = new List<KeyValuePair<string, string>>
        {
            new("host", login.Host),
            new("port", login.Port.ToString(CultureInfo.InvariantCulture)),
            new("user", login.DbUser),
        };
        if (databaseKey is not null && login.DbName.Length > 0)
        {
            list.Add(new(databaseKey, login.DbName));
        }

        return list;
    }

    /// <summary>Command-line options for <c>mysql</c> (Oracle) or <c>mariadb</c>/<c>mysql</c> from MariaDB.</summary>
    public static IReadOnlyList<string> MySqlArguments(DatabaseLogin login, bool mariaDb)
    {
        ArgumentNullException.ThrowIfNull(login);
        var args = new List<string>
        {
            "--host=" + login.Host,
            "--port=" + login.Port.ToString(CultureInfo.InvariantCulture),
            "--user=" + login.DbUser,
            "--ssl-ca=" + login.CaFile,
            "--ssl-cert=" + login.CertificateFile,
            "--ssl-key=" + login.KeyFile,
            mariaDb ? "--ssl-verify-server-cert" : "--ssl-mode=VERIFY_IDENTITY",
        };
        if (login.DbName.Length > 0)
        {
            args.Add("--database=" + login.DbName);
        }

        return args;
    }

    /// <summary>Environment variables that make the native client connect (<c>ferry db env</c>).</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Environment(DatabaseLogin login)
    {
        ArgumentNullException.ThrowIfNull(login);
        if (login.IsPostgres)
        {
            // libpq reads each keyword from PG + its name in capitals, except dbname from PGDATABASE.
            return [.. PostgresKeywords(login).Select(k => new KeyValuePair<string, string>(k.Key == "dbname" ? "PGDATABASE" : "PG" + k.Key.ToUpperInvariant(), k.Value))];
        }

        // MySQL and MariaDB clients read TLS files only from options: every client tool reads $MYSQL_HOME/my.cnf, where
        // `ferry db login` wrote the user, the TLS files and the database (db/NAME/my.cnf). $USER stays the shell's.
        var list = new List<KeyValuePair<string, string>>();
        if (login.OptionFile.Length > 0)
        {
            list.Add(new("MYSQL_HOME", Path.GetDirectoryName(login.OptionFile)!));
        }

        list.Add(new("MYSQL_HOST", login.Host));
        list.Add(new("MYSQL_TCP_PORT", login.Port.ToString(CultureInfo.InvariantCulture)));
        return list;
    }

    /// <summary>Quotes a libpq keyword value when needed (spaces, quotes, backslashes, empty).</summary>
    public static string LibpqQuote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length > 0 && !value.Any(c => char.IsWhiteSpace(c) || c is '\'' or '\\'))
        {
            return value;
        }

        var sb = new StringBuilder("'");
        foreach (var c in value)
        {
            if (c is '\'' or '\\')
            {
                sb.Append('\\');
            }

            sb.Append(c);
        }

        return sb.Append('\'').ToString();
    }

    /// <summary>Quotes a value for a POSIX shell <c>export</c> line.</summary>
    public static string ShellQuote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '-' or '_' or ':' or '=' or ',' or '@')
            ? value
            : "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    private static string Escape(string s) => System.Uri.EscapeDataString(s).Replace("%2F", "/", StringComparison.Ordinal);
}
