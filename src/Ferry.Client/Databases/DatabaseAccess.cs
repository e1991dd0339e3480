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
    public static async Task<DatabaseLogin> LoginAsync(ClientSession session, string name, string? dbUser, string? dbName, bool configureClients = true, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var databases = await session.ListDatabasesAsync(ct).ConfigureAwait(false);
        var db = Find(databases, name);
        var user = Choose(dbUser, db.DbUsers ?? [], "database user", "--db-user", name, required: true);
        var database = Choose(dbName, db.DbNames ?? [], "database name", "--db-name", name, required: false);
        return await IssueAsync(session, name, db.Protocol, user, database, configureClients, ct).ConfigureAwait(false);
    }

    /// <summary>Issues (or re-issues after a new login) the routed certificate for a known route.</summary>
    public static async Task<DatabaseLogin> IssueAsync(ClientSession session, string name, string protocol, string dbUser, string dbName, bool configureClients, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var (pem, certificate, expires) = await session.IssueRoutedAsync(name, protocol, dbUser, dbName, ct).ConfigureAwait(false);
        certificate.Dispose();
        var endpoint = protocol == DatabaseProtocols.MySql ? ProxyAddress.Parse(session.Profile.MySqlProxy, 3036) : session.Address;
        var login = new DatabaseLogin
        {
            Name = name,
            Protocol = protocol,
            DbUser = dbUser,
            DbName = dbName,
            Host = endpoint.Host,
            Port = endpoint.Port,
            CertificateFile = session.Paths.DatabaseCertificateFile(name),
            KeyFile = session.Paths.KeyFile,
            CaFile = session.Paths.HostCaFile,
            Expires = expires,
        };
        var previous = session.Store.LoadDatabaseLogin(name);
        if (configureClients || previous is { Section.Length: > 0 })
        {
            login.SectionFile = login.IsPostgres ? session.Paths.PgServiceFile : session.Paths.MyCnfFile;
            login.Section = login.IsPostgres ? PostgresService(name) : MySqlGroup(name);
            var doc = IniDocument.Load(login.SectionFile);
            doc.Set(login.Section, login.IsPostgres ? DatabaseConnectionSettings.PostgresKeywords(login) : DatabaseConnectionSettings.MySqlOptions(login, NativeClients.IsMariaDb()));
            doc.Save(login.SectionFile);
        }

        session.Store.SaveDatabaseLogin(login, pem);
        return login;
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
            if (doc.Remove(login.Section))
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
