using System.Text.RegularExpressions;

namespace Ferry.Config;

/// <summary>Parses <c>ferry.yaml</c> by hand from the YAML tree: unknown keys and bad values name the key and line.</summary>
public static partial class FerryConfigParser
{
    /// <summary>
    /// For a host's <c>--config</c>: the parsed file, or null after writing one <c>error:</c> line
    /// (<paramref name="whenMissing"/> when no file was given, else the parse error with file:line:col).
    /// </summary>
    public static FerryConfig? LoadForCommand(string? path, string whenMissing, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (path is null)
        {
            error.WriteLine($"error: --config is required: {whenMissing}");
            return null;
        }
        try
        {
            return Load(path);
        }
        catch (ConfigException ex)
        {
            error.WriteLine($"error: {ex.Message}");
            return null;
        }
    }

    public static FerryConfig Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException ex)
        {
            throw new ConfigException($"cannot read configuration file {path}: {ex.Message}", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new ConfigException($"cannot read configuration file {path}: {ex.Message}", ex);
        }
        return Parse(text, path);
    }

    public static FerryConfig Parse(string text, string fileName = "ferry.yaml")
    {
        var root = YamlNodeReader.FromText(text, fileName);
        var config = new FerryConfig
        {
            ClusterName = ClusterName(root),
            DataDir = root.String("data_dir", "/var/lib/ferry")!,
            LogLevel = root.Enum("log_level", LogLevelSetting.Info,
                ("debug", LogLevelSetting.Debug), ("info", LogLevelSetting.Info), ("warning", LogLevelSetting.Warning), ("error", LogLevelSetting.Error)),
            DiagAddr = DiagAddr(root),
            Auth = ParseAuth(root.Section("auth")),
            Proxy = ParseProxy(root.Section("proxy")),
            ProxyEnabled = root.Section("proxy") is not { } proxy || proxy.Bool("enabled", true),
            Agent = ParseAgent(root.Section("agent")),
            Webhook = ParseNotifications(root.Section("notifications")),
            Web = ParseWeb(root.Section("web")),
        };
        root.RejectUnknownKeys();
        return config;
    }

    private static string ClusterName(YamlNodeReader root)
    {
        var name = root.String("cluster_name", "ferry")!;
        return NameRegex().IsMatch(name) ? name : throw root.ErrorAt("cluster_name", $"'{name}' must be 1-63 characters of a-z, 0-9, '-' and '.'");
    }

    /// <summary>The diagnostics listener: an IP address (or localhost) and a port, or null when the key is absent.</summary>
    private static string? DiagAddr(YamlNodeReader root)
    {
        if (!root.Has("diag_addr"))
        {
            return null;
        }
        var value = root.Address("diag_addr", "");
        return IsDiagEndPoint(value)
            ? value
            : throw root.ErrorAt("diag_addr", $"expected an IP address and port such as 127.0.0.1:9090, got '{value}'");
    }

    /// <summary>True for <c>IP:port</c> or <c>localhost:port</c> with a port from 1 to 65535.</summary>
    public static bool IsDiagEndPoint(string value) =>
        (System.Net.IPEndPoint.TryParse(value.StartsWith("localhost:", StringComparison.Ordinal) ? "127.0.0.1" + value[9..] : value, out var ep)) && ep.Port != 0;

    /// <summary><c>auth.session_mfa_certificate_ttl</c>: 1s to 1m (the 1-minute rule; shorter only for tests and drills).</summary>
    private static TimeSpan SessionMfaTtl(YamlNodeReader r)
    {
        var ttl = r.Duration("session_mfa_certificate_ttl", TimeSpan.FromMinutes(1));
        if (ttl < TimeSpan.FromSeconds(1) || ttl > TimeSpan.FromMinutes(1))
        {
            throw new ConfigException("auth.session_mfa_certificate_ttl: must be between 1s and 1m");
        }

        return ttl;
    }

    private static AuthSection? ParseAuth(YamlNodeReader? r)
    {
        if (r is null || !r.Bool("enabled", true))
        {
            return null;
        }
        var s = new AuthSection
        {
            ListenAddr = r.Address("listen_addr", "127.0.0.1:3025"),
            PublicAddrs = r.StringList("public_addrs"),
            DefaultSessionTtl = r.Duration("default_session_ttl", TimeSpan.FromHours(12)),
            SessionMfaCertificateTtl = SessionMfaTtl(r),
            AuditRetention = r.Duration("audit_retention", TimeSpan.FromDays(365)),
            ApiIdleTimeout = r.Duration("api_idle_timeout", TimeSpan.FromSeconds(15)),
            MaxApiConnections = r.Int("max_api_connections", 1024, min: 1),
            MaxApiConnectionsPerSource = r.Int("max_api_connections_per_source", 64, min: 1),
            Sso = SsoConnectorParser.ParseList(r),
            HealthCheckUsers = HealthCheckUsers(r),
            AccessRequests = ParseAccessRequests(r.Section("access_requests")),
            Backend = ParseBackend(r.Section("backend")) with { CaKeyEncryption = ParseCaKeyEncryption(r.Section("ca_key_encryption")) },
            ServerId = ServerId(r),
        };
        if (s.Backend.Kind == BackendKind.Postgres && s.Backend.CaKeyEncryption is null)
        {
            throw r.ErrorAt("backend", "a postgres backend keeps the CA private keys, sealed with AES-256-GCM: add auth.ca_key_encryption with key_file (a file mode 0600 holding `openssl rand -base64 32`) or key_env (an environment variable holding it), the same key on every auth server");
        }
        s = s with { AuditStore = ParseAuditStore(r, s.Backend) };
        r.RejectUnknownKeys();
        return s;
    }

    /// <summary><c>auth.server_id</c>: 1-63 characters of a-z, 0-9, '-' and '.' (it names the server's host certificate too).</summary>
    private static string? ServerId(YamlNodeReader r)
    {
        var id = r.String("server_id");
        return id is null || NameRegex().IsMatch(id) ? id : throw r.ErrorAt("server_id", $"'{id}' must be 1-63 characters of a-z, 0-9, '-' and '.'");
    }

    /// <summary><c>auth.ca_key_encryption</c>: exactly one of <c>key_file</c>, <c>key_env</c>.</summary>
    private static CaKeyEncryptionConfig? ParseCaKeyEncryption(YamlNodeReader? r)
    {
        if (r is null)
        {
            return null;
        }
        var file = r.String("key_file");
        var env = r.String("key_env");
        if ((file is null) == (env is null))
        {
            throw r.ErrorAt(file is null ? "key_file" : "key_env", "auth.ca_key_encryption needs exactly one of key_file (a file mode 0600 holding the key in base64) and key_env (the name of an environment variable holding it)");
        }
        if (env is not null && (env.Length == 0 || !env.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')))
        {
            throw r.ErrorAt("key_env", "key_env is the name of an environment variable (letters, digits, _), not the key itself");
        }
        r.RejectUnknownKeys();
        return new CaKeyEncryptionConfig { KeyFile = file, KeyEnv = env };
    }

    /// <summary>
    /// <c>auth.audit_store</c>: <c>segments</c> or <c>postgres</c>; by default it follows the backend (postgres with a
    /// postgres backend, segments with SQLite); postgres needs a postgres backend (the events go into its database).
    /// </summary>
    private static AuditStoreKind ParseAuditStore(YamlNodeReader r, BackendConfig backend)
    {
        var fallback = backend.Kind == BackendKind.Postgres ? AuditStoreKind.Postgres : AuditStoreKind.Segments;
        var kind = r.Enum("audit_store", fallback, ("segments", AuditStoreKind.Segments), ("postgres", AuditStoreKind.Postgres));
        if (kind == AuditStoreKind.Postgres && backend.Kind != BackendKind.Postgres)
        {
            throw r.ErrorAt("audit_store", "audit_store: postgres keeps the audit events in the PostgreSQL backend's database: set backend: { type: postgres, conn_string: … } too, or use audit_store: segments");
        }
        return kind;
    }

    /// <summary><c>auth.backend</c>: <c>type</c> sqlite or postgres; postgres needs <c>conn_string</c>.</summary>
    private static BackendConfig ParseBackend(YamlNodeReader? r)
    {
        if (r is null)
        {
            return new BackendConfig();
        }
        var kind = r.Enum("type", BackendKind.Sqlite, ("sqlite", BackendKind.Sqlite), ("postgres", BackendKind.Postgres));
        var conn = r.String("conn_string");
        if (kind == BackendKind.Postgres && string.IsNullOrWhiteSpace(conn))
        {
            throw r.ErrorAt("type", "a postgres backend needs conn_string (an Npgsql connection string such as \"Host=db.example;Database=ferry;Username=ferry;SSL Mode=VerifyFull\")");
        }
        if (kind == BackendKind.Sqlite && conn is not null)
        {
            throw r.ErrorAt("conn_string", "conn_string is for type postgres; the sqlite backend lives in data_dir");
        }
        r.RejectUnknownKeys();
        return new BackendConfig { Kind = kind, ConnString = conn };
    }

    /// <summary><c>web:</c> enabled, idle_timeout (1m-24h), session_ttl (5m-30d, at least idle_timeout), proxy_addr (host:port).</summary>
    private static WebSection? ParseWeb(YamlNodeReader? r)
    {
        if (r is null)
        {
            return null;
        }

        var idle = r.Duration("idle_timeout", TimeSpan.FromMinutes(15));
        if (idle < TimeSpan.FromMinutes(1) || idle > TimeSpan.FromHours(24))
        {
            throw r.ErrorAt("idle_timeout", "must be between 1m and 24h");
        }

        var ttl = r.Duration("session_ttl", TimeSpan.FromHours(8));
        if (ttl < TimeSpan.FromMinutes(5) || ttl > TimeSpan.FromDays(30))
        {
            throw r.ErrorAt("session_ttl", "must be between 5m and 30d");
        }

        if (ttl < idle)
        {
            throw r.ErrorAt("session_ttl", "must be at least web.idle_timeout");
        }

        var proxy = r.String("proxy_addr");
        if (proxy is not null && (!Units.TryParseHostPort(proxy, out _, out var port) || port == 0))
        {
            throw r.ErrorAt("proxy_addr", $"expected host:port of a Ferry proxy (its port 3080), got '{proxy}'");
        }

        var s = new WebSection { Enabled = r.Bool("enabled", true), IdleTimeout = idle, SessionTtl = ttl, ProxyAddr = proxy };
        r.RejectUnknownKeys();
        return s;
    }

    /// <summary><c>proxy.auth_addr</c>: one <c>host:port</c>, or a list of them (several auth servers), at most 16, no repeats.</summary>
    private static IReadOnlyList<string> AuthAddresses(YamlNodeReader r)
    {
        if (!r.Has("auth_addr"))
        {
            return ["127.0.0.1:3025"];
        }
        var list = r.StringList("auth_addr");
        if (list.Count is 0 or > 16)
        {
            throw r.ErrorAt("auth_addr", "auth_addr takes one host:port or a list of 1 to 16 of them (the auth servers, tried in order)");
        }
        foreach (var address in list)
        {
            if (!Units.TryParseHostPort(address, out _, out _))
            {
                throw r.ErrorAt("auth_addr", $"expected host:port, got '{address}'");
            }
        }
        if (list.Distinct(StringComparer.OrdinalIgnoreCase).Count() != list.Count)
        {
            throw r.ErrorAt("auth_addr", "auth_addr lists an address twice");
        }
        return list;
    }

    private static ProxySection? ParseProxy(YamlNodeReader? r)
    {
        if (r is null || !r.Bool("enabled", true))
        {
            return null;
        }
        var authAddrs = AuthAddresses(r);
        var s = new ProxySection
        {
            ListenAddr = r.Address("listen_addr", "0.0.0.0:3080"),
            MySqlListenAddr = r.Address("mysql_listen_addr", "0.0.0.0:3036"),
            PublicAddrs = r.Has("public_addrs") ? r.StringList("public_addrs") : ["localhost:3080"],
            AuthAddr = authAddrs[0],
            AuthAddrs = authAddrs,
            TunnelAddr = r.Has("tunnel_addr") ? r.Address("tunnel_addr", "") : null,
            JoinToken = r.String("join_token"),
            CaPin = CaPin(r),
            MaxMessageBytes = r.Size("max_message_bytes", 64L * 1024 * 1024),
            HandshakeTimeout = r.Duration("handshake_timeout", TimeSpan.FromSeconds(10)),
            MaxConnections = r.Int("max_connections", 10_000, 1, 10_000_000),
            MaxConnectionsPerSource = r.Int("max_connections_per_source", 1_000, 1, 10_000_000),
            MaxTunnelHandshakes = r.Int("max_tunnel_handshakes", 64, 1, 100_000),
        };
        r.RejectUnknownKeys();
        return s;
    }

    private static AgentSection? ParseAgent(YamlNodeReader? r)
    {
        if (r is null || !r.Bool("enabled", true))
        {
            return null;
        }
        var proxies = r.StringList("proxies");
        foreach (var p in proxies)
        {
            if (!Units.TryParseHostPort(p, out _, out _))
            {
                throw r.ErrorAt("proxies", $"expected host:port, got '{p}'");
            }
        }
        var databases = new List<DatabaseConfig>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var d in r.SectionList("databases"))
        {
            var db = ParseDatabase(d);
            if (!names.Add(db.Name))
            {
                throw d.ErrorAt("name", $"database '{db.Name}' is listed twice");
            }
            databases.Add(db);
        }
        var s = new AgentSection
        {
            Proxies = proxies,
            JoinToken = r.String("join_token"),
            HostId = r.String("host_id"),
            CaPin = CaPin(r),
            Databases = databases,
            MaxStatementBytes = MaxStatementBytes(r),
        };
        r.RejectUnknownKeys();
        return s;
    }

    private static int MaxStatementBytes(YamlNodeReader r)
    {
        var value = r.Size("max_statement_bytes", AgentSection.DefaultMaxStatementBytes);
        return value is >= 256 and <= 1024 * 1024
            ? (int)value
            : throw r.ErrorAt("max_statement_bytes", $"expected a size from 256B to 1MiB (an audit event must stay well under the 16 MiB record limit), got {value} bytes");
    }

    private static string? CaPin(YamlNodeReader r)
    {
        var pin = r.String("ca_pin");
        if (pin is not null && !CaPinRegex().IsMatch(pin))
        {
            throw r.ErrorAt("ca_pin", "expected sha256:<64 hex digits> (see `ferryd admin ca export --type host --fingerprint`)");
        }
        return pin?.ToLowerInvariant();
    }

    private static DatabaseConfig ParseDatabase(YamlNodeReader d)
    {
        var name = d.String("name") ?? throw d.ErrorAt("name", "is required");
        if (!NameRegex().IsMatch(name))
        {
            throw d.ErrorAt("name", $"'{name}' must be 1-63 characters of a-z, 0-9, '-' and '.'");
        }
        var protocol = d.Enum<DatabaseProtocol?>("protocol", null, ("postgres", DatabaseProtocol.Postgres), ("mysql", DatabaseProtocol.MySql))
            ?? throw d.ErrorAt("protocol", "is required (postgres or mysql)");
        var uri = d.String("uri") ?? throw d.ErrorAt("uri", "is required (host:port of the database)");
        if (!Units.TryParseHostPort(uri, out _, out _))
        {
            throw d.ErrorAt("uri", $"expected host:port, got '{uri}'");
        }
        var dynamic = new List<DynamicLabel>();
        foreach (var dl in d.SectionList("dynamic_labels"))
        {
            var command = dl.StringList("command");
            if (command.Count == 0)
            {
                throw dl.ErrorAt("command", "is required (the program and its arguments)");
            }
            dynamic.Add(new DynamicLabel(dl.String("name") ?? throw dl.ErrorAt("name", "is required"), command, dl.Duration("period", TimeSpan.FromMinutes(1))));
            dl.RejectUnknownKeys();
        }
        var tls = d.Section("tls");
        var pool = d.Section("pool");
        if (pool is not null && protocol != DatabaseProtocol.Postgres)
        {
            throw d.ErrorAt("pool", "is only supported for protocol postgres");
        }
        if (d.Has("health_check_user") && protocol != DatabaseProtocol.MySql)
        {
            throw d.ErrorAt("health_check_user", "is only for protocol mysql (PostgreSQL logs nothing for the probe's plain TCP connect)");
        }
        var db = new DatabaseConfig
        {
            Name = name,
            Protocol = protocol,
            Uri = uri,
            Description = d.String("description", "")!,
            Labels = d.StringMap("labels"),
            DynamicLabels = dynamic,
            TlsMode = tls?.Enum("mode", DatabaseTlsMode.VerifyFull, ("verify-full", DatabaseTlsMode.VerifyFull), ("verify-ca", DatabaseTlsMode.VerifyCa), ("insecure", DatabaseTlsMode.Insecure)) ?? DatabaseTlsMode.VerifyFull,
            TlsCaFile = tls?.String("ca_file"),
            TlsServerName = tls?.String("server_name"),
            Pool = pool is null ? null : ParsePool(pool),
            HealthCheckUser = HealthCheckUser(d),
        };
        tls?.RejectUnknownKeys();
        pool?.RejectUnknownKeys();
        d.RejectUnknownKeys();
        return db;
    }

    private static AccessRequestsConfig ParseAccessRequests(YamlNodeReader? r)
    {
        var defaults = new AccessRequestsConfig();
        if (r is null)
        {
            return defaults;
        }

        var ttl = r.Duration("pending_ttl", defaults.PendingTtl);
        if (ttl < TimeSpan.FromMinutes(1) || ttl > TimeSpan.FromDays(7))
        {
            throw r.ErrorAt("pending_ttl", "must be between 1m and 7d");
        }

        var sweep = r.Duration("sweep_interval", defaults.SweepInterval);
        if (sweep < TimeSpan.FromSeconds(1) || sweep > TimeSpan.FromMinutes(10))
        {
            throw r.ErrorAt("sweep_interval", "must be between 1s and 10m");
        }

        var config = new AccessRequestsConfig
        {
            PendingTtl = ttl,
            MaxPendingPerUser = r.Int("max_pending_per_user", defaults.MaxPendingPerUser, min: 1, max: 100),
            SweepInterval = sweep,
        };
        r.RejectUnknownKeys();
        return config;
    }

    private static WebhookConfig? ParseNotifications(YamlNodeReader? r)
    {
        if (r is null)
        {
            return null;
        }

        var w = r.Section("webhook");
        r.RejectUnknownKeys();
        if (w is null)
        {
            return null;
        }

        var url = w.String("url") ?? throw w.ErrorAt("url", "missing: the http(s) URL to POST access-request events to");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || url.Length > 2048)
        {
            throw w.ErrorAt("url", $"expected an http:// or https:// URL, got '{url}'");
        }

        var secret = w.String("secret_file") ?? throw w.ErrorAt("secret_file", "missing: a file holding the HMAC secret (at least 16 bytes) the receiver shares");
        var timeout = w.Duration("timeout", TimeSpan.FromSeconds(5));
        if (timeout < TimeSpan.FromMilliseconds(100) || timeout > TimeSpan.FromMinutes(1))
        {
            throw w.ErrorAt("timeout", "must be between 100ms and 1m");
        }

        var config = new WebhookConfig
        {
            Url = uri,
            SecretFile = secret,
            Timeout = timeout,
            MaxAttempts = w.Int("max_attempts", 5, min: 1, max: 10),
        };
        w.RejectUnknownKeys();
        return config;
    }

    private static IReadOnlyList<string> HealthCheckUsers(YamlNodeReader r)
    {
        var users = r.StringList("health_check_users");
        foreach (var user in users)
        {
            if (!HealthCheckUserRegex().IsMatch(user))
            {
                throw r.ErrorAt("health_check_users", $"'{user}' must be 1-63 characters of letters, digits and '_' (a db user created for the probe)");
            }
        }
        return users;
    }

    private static string? HealthCheckUser(YamlNodeReader d)
    {
        var user = d.String("health_check_user");
        return user is null || HealthCheckUserRegex().IsMatch(user)
            ? user
            : throw d.ErrorAt("health_check_user", $"'{user}' must be 1-63 characters of letters, digits and '_' (a db user created for the probe)");
    }

    [GeneratedRegex("^[A-Za-z0-9_]{1,63}$")]
    private static partial Regex HealthCheckUserRegex();

    private static DatabasePoolConfig ParsePool(YamlNodeReader p)
    {
        var defaults = new DatabasePoolConfig();
        var idle = p.Duration("idle_timeout", defaults.IdleTimeout);
        var lifetime = p.Duration("max_lifetime", defaults.MaxLifetime);
        if (idle <= TimeSpan.Zero)
        {
            throw p.ErrorAt("idle_timeout", "must be positive");
        }
        if (lifetime <= TimeSpan.Zero)
        {
            throw p.ErrorAt("max_lifetime", "must be positive");
        }
        return new DatabasePoolConfig
        {
            MaxIdle = p.Int("max_idle", defaults.MaxIdle, 0, 1000),
            IdleTimeout = idle,
            MaxLifetime = lifetime,
        };
    }

    [GeneratedRegex("^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$")]
    private static partial Regex NameRegex();

    [GeneratedRegex("^sha256:[0-9a-fA-F]{64}$")]
    private static partial Regex CaPinRegex();
}
