namespace Ferry.Client;

/// <summary>What <c>ferry db login NAME</c> set up (<c>db/NAME/login.json</c>), so env, config, connect and logout agree.</summary>
public sealed class DatabaseLogin
{
    public string Name { get; set; } = "";

    /// <summary><c>postgres</c> or <c>mysql</c>.</summary>
    public string Protocol { get; set; } = "";

    public string DbUser { get; set; } = "";

    public string DbName { get; set; } = "";

    /// <summary>Where the native client connects (the proxy, or its MySQL listener).</summary>
    public string Host { get; set; } = "";

    public int Port { get; set; }

    public string CertificateFile { get; set; } = "";

    public string KeyFile { get; set; } = "";

    public string CaFile { get; set; } = "";

    /// <summary>The key as PKCS#8 DER (pgjdbc's <c>sslkey</c>).</summary>
    public string KeyPk8File { get; set; } = "";

    /// <summary>PKCS#12 key store with the routed certificate and the key (MariaDB Connector/J's <c>keyStore</c>).</summary>
    public string KeyStoreFile { get; set; } = "";

    /// <summary>The password of <see cref="KeyStoreFile"/> (Java needs one); the file's protection is its mode 0600, like the key's.</summary>
    public string KeyStorePassword { get; set; } = "";

    /// <summary>The MySQL option file for <c>ferry db env</c> (<c>[client]</c> and <c>[mysql]</c> groups), empty for PostgreSQL.</summary>
    public string OptionFile { get; set; } = "";

    public DateTimeOffset Expires { get; set; }

    /// <summary>
    /// Set for a session-MFA certificate (the route requires MFA per session): it opens connections only until
    /// <see cref="Expires"/> (a minute), and sessions opened keep running until this time.
    /// </summary>
    public DateTimeOffset? SessionExpires { get; set; }

    /// <summary>The service/option file section written (<c>ferry-NAME</c> or <c>client_ferry-NAME</c>), empty when none.</summary>
    public string Section { get; set; } = "";

    /// <summary>The file holding <see cref="Section"/>.</summary>
    public string SectionFile { get; set; } = "";

    public bool IsPostgres => Protocol == DatabaseProtocols.Postgres;
}
