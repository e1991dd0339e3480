using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ferry.Contracts;
using Ferry.Text;

namespace Ferry.Client;

/// <summary>
/// <c>ferry db login/logout</c>: a certificate routed to one database, saved under <c>db/NAME/</c>, and the native
/// clients configured (<c>[ferry-NAME]</c> in the pg service file, <c>[client_ferry-NAME]</c> in my.cnf).
/// </summary>
public static class DatabaseAccess
{
    /// <summary>The service name psql uses: <c>service=ferry-NAME</c>.</summary>
    public static string PostgresService(string name) => "ferry-" + name;

    /// <summary>The my.cnf group: <c>mysql --defaults-group-suffix=_ferry-NAME</c> reads <c>[client_ferry-NAME]</c>.</summary>
    public static string MySqlGroup(string name) => "client_ferry-" + name;

    /// <summary>The my.cnf group only <c>mysql</c> itself reads with that suffix (<c>[mysql_ferry-NAME]</c>): the database.</summary>
    public static string MySqlClientGroup(string name) => "mysql_ferry-" + name;

    /// <summary>Finds <paramref name="name"/> among the databases the user may reach, or explains what to run.</summary>
    public static DatabaseEntry Find(IReadOnlyList<DatabaseEntry> databases, string name)
    {
        ArgumentNullException.ThrowIfNull(databases);
        return databases.FirstOrDefault(d => d.Name == name)
            ?? throw new FerryClientException(databases.Count == 0
                ? $"no database \"{name}\": your roles allow no database; ask an administrator for a role"
                : $"no database \"{name}\" among those your roles allow ({string.Join(", ", databases.Select(d => d.Name))}): run `ferry db ls`");
    }

    /// <summary>Picks the db user (or db name): the one given, else the only concrete allowed value.</summary>
    public static string Choose(string? given, IReadOnlyList<string> allowed, string what, string option, string database, bool required)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        if (!string.IsNullOrEmpty(given))
        {
            return given;
        }

        var concrete = allowed.Where(v => v.Length > 0 && !v.Contains('*', StringComparison.Ordinal) && !v.Contains("{{", StringComparison.Ordinal)).Distinct().ToList();
        if (concrete.Count == 1)
        {
            return concrete[0];
        }

        if (concrete.Count == 0)
        {
            return required ? throw new FerryClientException($"your roles name no {what} for {database}: pass {option} NAME") : "";
        }

        throw new FerryClientException($"{database} allows the {what}s {string.Join(", ", concrete)}: pick one with {option}");
    }

    /// <summary>Gets a routed certificate for <paramref name="name"/> and writes the native client configuration.</summary>
    public static async Task<DatabaseLogin> LoginAsync(ClientSession session, string name, string? dbUser, string? dbName, bool configureClients = true, CancellationToken ct = default, SessionMfaOptions? mfa = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        var issued = await LoginRequestAsync(session, name, dbUser, dbName, ct, mfa).ConfigureAwait(false);
        Save(session.Store, issued, configureClients);
        return issued.Login;
    }

    /// <summary>Like <see cref="LoginAsync"/>, but writes nothing yet (see <see cref="Save"/>).</summary>
    public static async Task<IssuedDatabaseLogin> LoginRequestAsync(ClientSession session, string name, string? dbUser, string? dbName, CancellationToken ct = default, SessionMfaOptions? mfa = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        var db = Find(await session.ListDatabasesAsync(ct).ConfigureAwait(false), name);
        var user = Choose(dbUser, db.DbUsers ?? [], "database user", "--db-user", name, required: true);
        var database = Choose(dbName, db.DbNames ?? [], "database name", "--db-name", name, required: false);
        return await RequestAsync(session, name, db.Protocol, user, database, ct, mfa).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs <paramref name="run"/> with the issued login pointing at its certificate in a temporary 0600 file in the
    /// database's directory (which the saved login does not use), removed afterwards.
    /// </summary>
    public static async Task<int> WithTemporaryCertificateAsync(ProfileStore store, IssuedDatabaseLogin issued, Func<DatabaseLogin, Task<int>> run)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(issued);
        ArgumentNullException.ThrowIfNull(run);
        var dir = store.Paths.DatabaseDirectory(issued.Login.Name);
        SecureFile.EnsureDirectory(store.Paths.DatabasesRoot);
        SecureFile.EnsureDirectory(dir);
        var temp = Path.Combine(dir, $"cert.pending-{Environment.ProcessId}.pem");
        var saved = issued.Login.CertificateFile;
        SecureFile.Write(temp, issued.CertificatePem);
        issued.Login.CertificateFile = temp;
        try
        {
            return await run(issued.Login).ConfigureAwait(false);
        }
        finally
        {
            issued.Login.CertificateFile = saved;
            SecureFile.Delete(temp);
            if (store.LoadDatabaseLogin(issued.Login.Name) is null && !Directory.EnumerateFileSystemEntries(dir).Any())
            {
                Directory.Delete(dir);
            }
        }
    }

    /// <summary>Issues (or re-issues after a new login) the routed certificate for a known route, and saves it.</summary>
    public static async Task<DatabaseLogin> IssueAsync(ClientSession session, string name, string protocol, string dbUser, string dbName, bool configureClients, CancellationToken ct = default)
    {
        var issued = await RequestAsync(session, name, protocol, dbUser, dbName, ct).ConfigureAwait(false);
        Save(session.Store, issued, configureClients);
        return issued.Login;
    }

    /// <summary>
    /// Issues the routed certificate for a route and prepares every file a login writes, without writing any:
    /// <c>ferry db connect</c> saves only after the client connected (<see cref="Save"/>).
    /// </summary>
    public static async Task<IssuedDatabaseLogin> RequestAsync(ClientSession session, string name, string protocol, string dbUser, string dbName, CancellationToken ct = default, SessionMfaOptions? mfa = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        var issuer = new SessionMfaIssuer(session, name, protocol, dbUser, dbName, mfa, keepGrant: false);
        var (pem, certificate, expires) = await issuer.IssueAsync(ct).ConfigureAwait(false);
        var password = RandomNumberGenerator.GetHexString(32, lowercase: true);
        byte[] keyStore;
        using (certificate)
        {
            // PBES2 with AES-256 and SHA-256: what Java (8u301+, 11.0.12+, 17) reads without legacy providers.
            keyStore = certificate.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, password);
        }

        var endpoint = protocol == DatabaseProtocols.MySql ? ProxyAddress.Parse(session.Profile.MySqlProxy, 3036) : session.Address;
        var paths = session.Paths;
        var login = new DatabaseLogin
        {
            Name = name,
            Protocol = protocol,
            DbUser = dbUser,
            DbName = dbName,
            Host = endpoint.Host,
            Port = endpoint.Port,
            CertificateFile = paths.DatabaseCertificateFile(name),
            KeyFile = paths.KeyFile,
            CaFile = paths.HostCaFile,
            KeyPk8File = paths.DatabaseKeyPk8File(name),
            KeyStoreFile = paths.DatabaseKeyStoreFile(name),
            KeyStorePassword = password,
            OptionFile = protocol == DatabaseProtocols.MySql ? paths.DatabaseOptionFile(name) : "",
            Expires = expires,
            SessionExpires = issuer.MfaVerified ? issuer.SessionExpires : null,
        };
        return new IssuedDatabaseLogin(login, pem, Pkcs8Der(session.Key.ExportPrivateKeyPem()), keyStore);
    }

    /// <summary>Writes what <paramref name="issued"/> holds: certificate, Java key files, option file, login record, and the native client section when asked (or when one was written before).</summary>
    public static void Save(ProfileStore store, IssuedDatabaseLogin issued, bool configureClients)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(issued);
        var login = issued.Login;
        var previous = store.LoadDatabaseLogin(login.Name);
        if (configureClients || previous is { Section.Length: > 0 })
        {
            login.SectionFile = login.IsPostgres ? store.Paths.PgServiceFile : store.Paths.MyCnfFile;
            login.Section = login.IsPostgres ? PostgresService(login.Name) : MySqlGroup(login.Name);
            var doc = IniDocument.Load(login.SectionFile);
            if (login.IsPostgres)
            {
                doc.Set(login.Section, DatabaseConnectionSettings.PostgresKeywords(login));
            }
            else
            {
                WriteMySqlGroups(doc, login.Section, MySqlClientGroup(login.Name), login, NativeClients.IsMariaDb());
            }

            doc.Save(login.SectionFile);
        }

        store.SaveDatabaseLogin(login, issued.CertificatePem);
        SecureFile.Write(login.KeyPk8File, issued.KeyPk8);
        SecureFile.Write(login.KeyStoreFile, issued.KeyStore);
        WriteOptionFile(login);
    }

    /// <summary>
    /// Writes <c>db/NAME/my.cnf</c>, read by every MySQL/MariaDB client tool when <c>MYSQL_HOME</c> points at its
    /// directory (<c>ferry db env</c>): host, port, user and TLS in <c>[client]</c>, the database in <c>[mysql]</c>.
    /// </summary>
    public static void WriteOptionFile(DatabaseLogin login)
    {
        ArgumentNullException.ThrowIfNull(login);
        if (login.IsPostgres || login.OptionFile.Length == 0)
        {
            return;
        }

        var doc = IniDocument.Parse("");
        WriteMySqlGroups(doc, "client", "mysql", login, NativeClients.IsMariaDb());
        SecureFile.Write(login.OptionFile, doc.ToString());
    }

    /// <summary>
    /// Connection and TLS options under <paramref name="clientGroup"/> (every client tool reads it and knows them all),
    /// and <c>database</c> under <paramref name="mysqlGroup"/>, read only by <c>mysql</c>/<c>mariadb</c>:
    /// mysqladmin, mysqlshow, mysqlimport and mysqldump refuse <c>database</c> as an unknown variable.
    /// </summary>
    private static void WriteMySqlGroups(IniDocument doc, string clientGroup, string mysqlGroup, DatabaseLogin login, bool mariaDb)
    {
        doc.Set(clientGroup, DatabaseConnectionSettings.MySqlOptions(login, mariaDb));
        if (login.DbName.Length > 0)
        {
            doc.Set(mysqlGroup, DatabaseConnectionSettings.MySqlClientOptions(login));
        }
        else
        {
            doc.Remove(mysqlGroup);
        }
    }

    /// <summary>The DER inside a PKCS#8 PEM ("PRIVATE KEY").</summary>
    private static byte[] Pkcs8Der(string pem)
    {
        var fields = PemEncoding.Find(pem);
        return Convert.FromBase64String(pem[fields.Base64Data]);
    }

    /// <summary>After a new login (new key), re-issues every database login's certificate; drops the ones no longer allowed.</summary>
    public static async Task<IReadOnlyList<string>> RefreshAllAsync(ClientSession session, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var dropped = new List<string>();
        foreach (var name in session.Store.DatabaseLoginNames())
        {
            var old = session.Store.LoadDatabaseLogin(name);
            try
            {
                if (old is null)
                {
                    throw new FerryClientException("unreadable login record");
                }

                await IssueAsync(session, name, old.Protocol, old.DbUser, old.DbName, configureClients: false, ct).ConfigureAwait(false);
            }
            catch (FerryClientException)
            {
                Logout(session.Store, name);
                dropped.Add(name);
            }
        }

        return dropped;
    }

    /// <summary>The saved login for <paramref name="name"/>, valid now, or a one-line error saying what to run.</summary>
    public static DatabaseLogin Require(ClientSession session, string name)
    {
        ArgumentNullException.ThrowIfNull(session);
        var login = session.Store.LoadDatabaseLogin(name)
            ?? throw new FerryClientException($"not logged in to database \"{name}\": run `ferry db login {name}`");
        if (login.Expires <= DateTimeOffset.UtcNow)
        {
            throw new FerryClientException($"the certificate for \"{name}\" expired {DurationText.Format(DateTimeOffset.UtcNow - login.Expires)} ago: run `ferry db login {name}`");
        }

        return login;
    }

    /// <summary>Removes what <c>db login</c> wrote for <paramref name="name"/>. False when there was nothing.</summary>
    public static bool Logout(ProfileStore store, string name)
    {
        ArgumentNullException.ThrowIfNull(store);
        var login = store.LoadDatabaseLogin(name);
        var removed = false;
        if (login is { Section.Length: > 0, SectionFile.Length: > 0 } && File.Exists(login.SectionFile))
        {
            var doc = IniDocument.Load(login.SectionFile);
            var mysqlGroup = !login.IsPostgres && doc.Remove(MySqlClientGroup(login.Name));
            if (doc.Remove(login.Section) | mysqlGroup)
            {
                doc.Save(login.SectionFile);
                removed = true;
            }
        }

        if (Directory.Exists(store.Paths.DatabaseDirectory(name)))
        {
            store.DeleteDatabaseLogin(name);
            removed = true;
        }

        return removed;
    }
}
