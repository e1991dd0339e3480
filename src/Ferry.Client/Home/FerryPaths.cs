namespace Ferry.Client;

/// <summary>
/// Where the client keeps its files. The profile directory is <c>$FERRY_HOME</c> when set, else <c>~/.ferry</c>.
/// The native client files are <c>$PGSERVICEFILE</c> (else <c>~/.pg_service.conf</c>) and <c>$FERRY_MYCNF</c>
/// (else <c>~/.my.cnf</c>), so tests and demos can keep everything out of the real home directory.
/// </summary>
public sealed class FerryPaths
{
    public FerryPaths(string root, string pgServiceFile, string myCnfFile)
    {
        Root = Path.GetFullPath(root);
        PgServiceFile = Path.GetFullPath(pgServiceFile);
        MyCnfFile = Path.GetFullPath(myCnfFile);
    }

    /// <summary>The profile directory (mode 0700).</summary>
    public string Root { get; }

    /// <summary>The PostgreSQL connection service file that <c>ferry db login</c> edits.</summary>
    public string PgServiceFile { get; }

    /// <summary>The MySQL/MariaDB option file that <c>ferry db login</c> edits.</summary>
    public string MyCnfFile { get; }

    /// <summary>The login: proxy address, user, cluster, CA pin (JSON).</summary>
    public string ProfileFile => Path.Combine(Root, "profile.json");

    /// <summary>The private key made on this machine (0600); every certificate of the login is for this key.</summary>
    public string KeyFile => Path.Combine(Root, "key.pem");

    /// <summary>The login certificate (not routed to a database).</summary>
    public string CertificateFile => Path.Combine(Root, "cert.pem");

    /// <summary>The pinned host CA: verifies the proxy and auth service (also the native clients' root certificate).</summary>
    public string HostCaFile => Path.Combine(Root, "host-ca.pem");

    /// <summary>The user CA (to read and check the login certificate locally).</summary>
    public string UserCaFile => Path.Combine(Root, "user-ca.pem");

    /// <summary>Per-database files written by <c>ferry db login</c>.</summary>
    public string DatabaseDirectory(string name) => Path.Combine(Root, "db", name);

    /// <summary>The certificate routed to database <paramref name="name"/>.</summary>
    public string DatabaseCertificateFile(string name) => Path.Combine(DatabaseDirectory(name), "cert.pem");

    /// <summary>The login key as unencrypted PKCS#8 DER (<c>key.pk8</c>), the form pgjdbc's <c>sslkey</c> reads.</summary>
    public string DatabaseKeyPk8File(string name) => Path.Combine(DatabaseDirectory(name), "key.pk8");

    /// <summary>The routed certificate and the key as a PKCS#12 key store (<c>keystore.p12</c>) for Java clients.</summary>
    public string DatabaseKeyStoreFile(string name) => Path.Combine(DatabaseDirectory(name), "keystore.p12");

    /// <summary>The MySQL option file <c>ferry db env</c> points <c>MYSQL_HOME</c> at (<c>db/NAME/my.cnf</c>).</summary>
    public string DatabaseOptionFile(string name) => Path.Combine(DatabaseDirectory(name), "my.cnf");

    /// <summary>What <c>ferry db login</c> wrote for <paramref name="name"/> (JSON), used by env/config/logout.</summary>
    public string DatabaseLoginFile(string name) => Path.Combine(DatabaseDirectory(name), "login.json");

    /// <summary>Directory holding one sub-directory per logged-in database.</summary>
    public string DatabasesRoot => Path.Combine(Root, "db");

    /// <summary>Resolves the paths from the environment (<c>FERRY_HOME</c>, <c>PGSERVICEFILE</c>, <c>FERRY_MYCNF</c>, <c>HOME</c>).</summary>
    public static FerryPaths FromEnvironment() => FromVariables(Environment.GetEnvironmentVariable);

    /// <summary>Resolves the paths from a variable lookup (testable).</summary>
    public static FerryPaths FromVariables(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        var home = NonEmpty(variable("HOME")) ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var root = NonEmpty(variable("FERRY_HOME")) ?? Path.Combine(home, ".ferry");
        var pg = NonEmpty(variable("PGSERVICEFILE")) ?? Path.Combine(home, ".pg_service.conf");
        var my = NonEmpty(variable("FERRY_MYCNF")) ?? Path.Combine(home, ".my.cnf");
        return new FerryPaths(root, pg, my);
    }

    private static string? NonEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
