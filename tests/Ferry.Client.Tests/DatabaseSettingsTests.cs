namespace Ferry.Client.Tests;

public sealed class DatabaseSettingsTests
{
    private static DatabaseLogin Pg() => new()
    {
        Name = "pg1",
        Protocol = "postgres",
        DbUser = "alice",
        DbName = "app",
        Host = "127.0.0.1",
        Port = 3080,
        CaFile = "/h/.ferry/host-ca.pem",
        CertificateFile = "/h/.ferry/db/pg1/cert.pem",
        KeyFile = "/h/.ferry/key.pem",
        KeyPk8File = "/h/.ferry/db/pg1/key.pk8",
        KeyStoreFile = "/h/.ferry/db/pg1/keystore.p12",
        KeyStorePassword = "0123abcd",
    };

    [Fact]
    public void PostgresKeywords_AreVerifyFullWithTheThreeFiles()
    {
        var text = string.Join(' ', DatabaseConnectionSettings.PostgresKeywords(Pg()).Select(kv => kv.Key + "=" + kv.Value));
        Assert.Equal("host=127.0.0.1 port=3080 user=alice dbname=app sslmode=verify-full sslrootcert=/h/.ferry/host-ca.pem sslcert=/h/.ferry/db/pg1/cert.pem sslkey=/h/.ferry/key.pem", text);
    }

    [Fact]
    public void Environment_Postgres_IsTheLibpqVariableOfEachKeyword()
    {
        var text = string.Join(' ', DatabaseConnectionSettings.Environment(Pg()).Select(kv => kv.Key + "=" + kv.Value));
        Assert.Equal("PGHOST=127.0.0.1 PGPORT=3080 PGUSER=alice PGDATABASE=app PGSSLMODE=verify-full PGSSLROOTCERT=/h/.ferry/host-ca.pem PGSSLCERT=/h/.ferry/db/pg1/cert.pem PGSSLKEY=/h/.ferry/key.pem", text);
    }

    [Fact]
    public void Environment_PostgresWithoutDatabase_SetsNoPgDatabase()
    {
        var login = Pg();
        login.DbName = "";
        Assert.DoesNotContain(DatabaseConnectionSettings.Environment(login), kv => kv.Key == "PGDATABASE");
    }

    [Fact]
    public void From_Postgres_GivesUriAndJdbcUrl()
    {
        var s = DatabaseConnectionSettings.From(Pg());
        Assert.Equal("postgresql://alice@127.0.0.1:3080/app?sslmode=verify-full&sslrootcert=/h/.ferry/host-ca.pem&sslcert=/h/.ferry/db/pg1/cert.pem&sslkey=/h/.ferry/key.pem", s.Uri);
        // pgjdbc reads no PEM key: the URL names the PKCS#8 DER copy.
        Assert.Equal("jdbc:postgresql://127.0.0.1:3080/app?user=alice&sslmode=verify-full&sslrootcert=/h/.ferry/host-ca.pem&sslcert=/h/.ferry/db/pg1/cert.pem&sslkey=/h/.ferry/db/pg1/key.pk8", s.JdbcUrl);
    }

    [Fact]
    public void From_MySql_GivesAMariaDbConnectorJUrlWithTheKeyStore()
    {
        var login = Pg();
        login.Protocol = "mysql";
        login.Port = 3036;
        var s = DatabaseConnectionSettings.From(login);
        Assert.Equal("jdbc:mariadb://127.0.0.1:3036/app?user=alice&useSsl=true&serverSslCert=/h/.ferry/host-ca.pem&keyStore=/h/.ferry/db/pg1/keystore.p12&keyStoreType=PKCS12&keyStorePassword=0123abcd", s.JdbcUrl);
    }

    [Fact]
    public void Environment_MySql_PointsMysqlHomeAtTheOptionFile_AndLeavesUserAlone()
    {
        var login = Pg();
        login.Protocol = "mysql";
        login.Port = 3036;
        login.OptionFile = "/h/.ferry/db/my1/my.cnf";
        var env = DatabaseConnectionSettings.Environment(login).ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal("/h/.ferry/db/my1", env["MYSQL_HOME"]);
        Assert.False(env.ContainsKey("USER"));
    }

    [Fact]
    public void OptionFile_HoldsTlsInClient_AndTheDatabaseOnlyInMysql()
    {
        using var dir = new TempDirectory();
        var login = Pg();
        login.Protocol = "mysql";
        login.OptionFile = Path.Combine(dir.Path, "my.cnf");
        DatabaseAccess.WriteOptionFile(login);
        var doc = IniDocument.Load(login.OptionFile);
        var client = doc.Get("client")!.ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal("/h/.ferry/db/pg1/cert.pem", client["ssl-cert"]);
        Assert.False(client.ContainsKey("database"));
        Assert.Equal([new("database", "app")], doc.Get("mysql")!);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(login.OptionFile));
    }

    [Fact]
    public void MySqlOptions_UseEachClientsOwnVerificationOption()
    {
        var login = Pg();
        login.Protocol = "mysql";
        login.Port = 3036;
        var maria = DatabaseConnectionSettings.MySqlOptions(login, mariaDb: true).ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal("1", maria["ssl-verify-server-cert"]);
        Assert.False(maria.ContainsKey("ssl-mode"));
        Assert.False(maria.ContainsKey("database")); // mysqladmin, mysqlshow, mysqlimport refuse it
        Assert.Equal([new("database", "app")], DatabaseConnectionSettings.MySqlClientOptions(login));
        Assert.Equal("/h/.ferry/key.pem", maria["ssl-key"]);
        var oracle = DatabaseConnectionSettings.MySqlOptions(login, mariaDb: false).ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal("VERIFY_IDENTITY", oracle["ssl-mode"]);
        Assert.False(oracle.ContainsKey("ssl-verify-server-cert"));
        Assert.Contains("--ssl-verify-server-cert", DatabaseConnectionSettings.MySqlArguments(login, mariaDb: true));
        Assert.Contains("--ssl-mode=VERIFY_IDENTITY", DatabaseConnectionSettings.MySqlArguments(login, mariaDb: false));
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("/a b/c", "'/a b/c'")]
    [InlineData("it's", "'it\\'s'")]
    [InlineData("", "''")]
    public void LibpqQuote_QuotesOnlyWhenNeeded(string value, string expected)
    {
        Assert.Equal(expected, DatabaseConnectionSettings.LibpqQuote(value));
    }

    [Theory]
    [InlineData("/h/.ferry/key.pem", "/h/.ferry/key.pem")]
    [InlineData("a b", "'a b'")]
    [InlineData("it's", "'it'\\''s'")]
    public void ShellQuote_QuotesOnlyWhenNeeded(string value, string expected)
    {
        Assert.Equal(expected, DatabaseConnectionSettings.ShellQuote(value));
    }

    [Fact]
    public void Choose_GivenValueWins_OnlyConcreteValueIsPicked_AmbiguityNamesTheChoices()
    {
        Assert.Equal("bob", DatabaseAccess.Choose("bob", ["alice"], "database user", "--db-user", "pg1", required: true));
        Assert.Equal("alice", DatabaseAccess.Choose(null, ["alice", "*", "{{internal.db_users}}"], "database user", "--db-user", "pg1", required: true));
        var e = Assert.Throws<FerryClientException>(() => DatabaseAccess.Choose(null, ["alice", "readonly"], "database user", "--db-user", "pg1", required: true));
        Assert.Equal("pg1 allows the database users alice, readonly: pick one with --db-user", e.Message);
        Assert.Throws<FerryClientException>(() => DatabaseAccess.Choose(null, ["*"], "database user", "--db-user", "pg1", required: true));
        Assert.Equal("", DatabaseAccess.Choose(null, [], "database name", "--db-name", "pg1", required: false));
    }

    [Fact]
    public void Find_UnknownDatabase_ListsTheAllowedOnes()
    {
        var e = Assert.Throws<FerryClientException>(() => DatabaseAccess.Find([new Ferry.Contracts.DatabaseEntry { Name = "pg1" }, new Ferry.Contracts.DatabaseEntry { Name = "my1" }], "pgprod"));
        Assert.Contains("(pg1, my1): run `ferry db ls`", e.Message);
    }

    [Fact]
    public void DatabaseLogout_RemovesTheServiceSectionAndTheCertificate_KeepingOtherSections()
    {
        using var dir = new TempDirectory();
        var paths = dir.Paths();
        var store = new ProfileStore(paths);
        Directory.CreateDirectory(Path.GetDirectoryName(paths.PgServiceFile)!);
        File.WriteAllText(paths.PgServiceFile, "[mine]\nhost=db\n\n[ferry-pg1]\nhost=127.0.0.1\n");
        store.SaveDatabaseLogin(new DatabaseLogin { Name = "pg1", Protocol = "postgres", Section = "ferry-pg1", SectionFile = paths.PgServiceFile }, "CERT");
        Assert.True(DatabaseAccess.Logout(store, "pg1"));
        Assert.Equal("[mine]\nhost=db\n", File.ReadAllText(paths.PgServiceFile));
        Assert.False(File.Exists(paths.DatabaseCertificateFile("pg1")));
        Assert.False(DatabaseAccess.Logout(store, "pg1"));
    }

    [Fact]
    public void PostgresErrorResponse_IsAWellFormedFatalMessage()
    {
        var frame = PostgresLocalProxy.ErrorResponse("ferry: login expired");
        Assert.Equal((byte)'E', frame[0]);
        Assert.Equal(frame.Length - 1, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(1)));
        var text = System.Text.Encoding.UTF8.GetString(frame, 5, frame.Length - 5);
        Assert.Equal("SFATAL\0VFATAL\0C08006\0Mferry: login expired\0\0", text);
    }

    [Fact]
    public void AuditSearch_QueryString_EscapesValuesAndSkipsEmptyOnes()
    {
        var q = new Api.AuditSearch { Since = "1h", User = "alice", Contains = "DELETE FROM t", Limit = 10 }.ToQueryString();
        Assert.Equal("?since=1h&user=alice&contains=DELETE%20FROM%20t&limit=10", q);
        Assert.Equal("", new Api.AuditSearch().ToQueryString());
    }
}
