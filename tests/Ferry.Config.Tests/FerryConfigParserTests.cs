using Ferry.Config;

namespace Ferry.Config.Tests;

public sealed class FerryConfigParserTests
{
    [Fact]
    public void Sample_ParsesToItsDocumentedValues()
    {
        var c = FerryConfigParser.Parse(SampleConfig.Text);
        Assert.Equal("ferry", c.ClusterName);
        Assert.Equal("127.0.0.1:3025", c.Auth!.ListenAddr);
        Assert.Equal(TimeSpan.FromHours(12), c.Auth.DefaultSessionTtl);
        Assert.Equal("0.0.0.0:3036", c.Proxy!.MySqlListenAddr);
        Assert.Equal(64L * 1024 * 1024, c.Proxy.MaxMessageBytes);
        var db = Assert.Single(c.Agent!.Databases);
        Assert.Equal("pg1", db.Name);
        Assert.Equal(DatabaseProtocol.Postgres, db.Protocol);
        Assert.Equal("payments", db.Labels["team"]);
        Assert.Equal(["hostname"], db.DynamicLabels.Single().Command);
        Assert.Equal(DatabaseTlsMode.VerifyFull, db.TlsMode);
    }

    [Fact]
    public void UnknownKey_IsAnError_NamingKeyAndLine()
    {
        var ex = Assert.Throws<ConfigException>(() => FerryConfigParser.Parse("cluster_name: a\nproxy:\n  listen_adr: 0.0.0.0:1\n", "f.yaml"));
        Assert.StartsWith("f.yaml:3:3: proxy.listen_adr: unknown key", ex.Message);
    }

    [Fact]
    public void BadDuration_IsAnError_NamingKeyAndLine()
    {
        var ex = Assert.Throws<ConfigException>(() => FerryConfigParser.Parse("auth:\n  default_session_ttl: soon\n", "f.yaml"));
        Assert.Equal("f.yaml:2:24: auth.default_session_ttl: expected a duration such as 30s, 5m or 12h, got 'soon'", ex.Message);
    }

    [Fact]
    public void BadProtocolInADatabase_NamesTheListItem()
    {
        const string yaml = """
            agent:
              databases:
                - name: pg1
                  protocol: oracle
                  uri: 127.0.0.1:5432
            """;
        var ex = Assert.Throws<ConfigException>(() => FerryConfigParser.Parse(yaml, "f.yaml"));
        Assert.Equal("f.yaml:4:17: agent.databases[0].protocol: expected one of postgres, mysql, got 'oracle'", ex.Message);
    }

    [Fact]
    public void MissingRequiredUri_IsAnError()
    {
        var ex = Assert.Throws<ConfigException>(() => FerryConfigParser.Parse("agent:\n  databases:\n    - name: pg1\n      protocol: postgres\n", "f.yaml"));
        Assert.Contains("agent.databases[0].uri: is required", ex.Message);
    }

    [Fact]
    public void Pool_DefaultsWhenPresent_AndIsOffWhenAbsent()
    {
        const string yaml = """
            agent:
              databases:
                - { name: a, protocol: postgres, uri: "h:1", pool: {} }
                - { name: b, protocol: postgres, uri: "h:2", pool: { max_idle: 3, idle_timeout: 10s, max_lifetime: 5m } }
                - { name: c, protocol: postgres, uri: "h:3" }
            """;
        var dbs = FerryConfigParser.Parse(yaml, "f.yaml").Agent!.Databases;
        Assert.Equal(new DatabasePoolConfig { MaxIdle = 8, IdleTimeout = TimeSpan.FromMinutes(1), MaxLifetime = TimeSpan.FromHours(1) }, dbs[0].Pool);
        Assert.Equal(new DatabasePoolConfig { MaxIdle = 3, IdleTimeout = TimeSpan.FromSeconds(10), MaxLifetime = TimeSpan.FromMinutes(5) }, dbs[1].Pool);
        Assert.Null(dbs[2].Pool);
    }

    [Theory]
    [InlineData("{ name: m, protocol: mysql, uri: \"h:1\", pool: {} }", "agent.databases[0].pool: is only supported for protocol postgres")]
    [InlineData("{ name: p, protocol: postgres, uri: \"h:1\", pool: { max_idle: -1 } }", "agent.databases[0].pool.max_idle: -1 is out of range [0, 1000]")]
    [InlineData("{ name: p, protocol: postgres, uri: \"h:1\", pool: { idle_timeout: 0s } }", "agent.databases[0].pool.idle_timeout: must be positive")]
    [InlineData("{ name: p, protocol: postgres, uri: \"h:1\", pool: { size: 4 } }", "agent.databases[0].pool.size: unknown key")]
    public void Pool_BadSettings_AreErrors(string entry, string message)
    {
        var ex = Assert.Throws<ConfigException>(() => FerryConfigParser.Parse("agent:\n  databases:\n    - " + entry + "\n", "f.yaml"));
        Assert.Contains(message, ex.Message);
    }

    [Fact]
    public void HealthCheckUsers_AreReadOnBothSides()
    {
        var c = FerryConfigParser.Parse("auth:\n  health_check_users: [ferry_probe]\nagent:\n  databases:\n    - { name: m, protocol: mysql, uri: \"h:1\", health_check_user: ferry_probe }\n", "f.yaml");
        Assert.Equal(["ferry_probe"], c.Auth!.HealthCheckUsers);
        Assert.Equal("ferry_probe", c.Agent!.Databases[0].HealthCheckUser);
    }

    [Theory]
    [InlineData("agent:\n  databases:\n    - { name: p, protocol: postgres, uri: \"h:1\", health_check_user: probe }\n", "agent.databases[0].health_check_user: is only for protocol mysql")]
    [InlineData("agent:\n  databases:\n    - { name: m, protocol: mysql, uri: \"h:1\", health_check_user: \"x'y\" }\n", "must be 1-63 characters")]
    [InlineData("auth:\n  health_check_users: [\"root@%\"]\n", "auth.health_check_users: 'root@%' must be 1-63 characters")]
    public void HealthCheckUsers_BadSettings_AreErrors(string yaml, string message)
    {
        var ex = Assert.Throws<ConfigException>(() => FerryConfigParser.Parse(yaml, "f.yaml"));
        Assert.Contains(message, ex.Message);
    }

    [Fact]
    public void DuplicateDatabaseNames_AreAnError()
    {
        const string yaml = """
            agent:
              databases:
                - { name: a, protocol: postgres, uri: "h:1" }
                - { name: a, protocol: mysql, uri: "h:2" }
            """;
        var ex = Assert.Throws<ConfigException>(() => FerryConfigParser.Parse(yaml, "f.yaml"));
        Assert.Contains("database 'a' is listed twice", ex.Message);
    }

    [Fact]
    public void InvalidYaml_ReportsPosition()
    {
        var ex = Assert.Throws<ConfigException>(() => FerryConfigParser.Parse("auth:\n  listen_addr: [\n", "f.yaml"));
        Assert.StartsWith("f.yaml:", ex.Message);
        Assert.Contains("invalid YAML", ex.Message);
    }

    [Fact]
    public void DisabledSection_IsAbsent()
    {
        var c = FerryConfigParser.Parse("proxy:\n  enabled: false\n");
        Assert.Null(c.Proxy);
        Assert.Null(c.Auth);
    }

    [Fact]
    public void DiagAddr_IsAbsentByDefault_AndReadWhenSet()
    {
        Assert.Null(FerryConfigParser.Parse("cluster_name: a\n").DiagAddr);
        Assert.Null(FerryConfigParser.Parse(SampleConfig.Text).DiagAddr);
        Assert.Equal("127.0.0.1:9090", FerryConfigParser.Parse("diag_addr: 127.0.0.1:9090\n").DiagAddr);
        Assert.Equal("localhost:9090", FerryConfigParser.Parse("diag_addr: localhost:9090\n").DiagAddr);
    }

    [Fact]
    public void DiagAddr_ThatIsNotAnIpEndPoint_IsAnError_NamingKeyAndLine()
    {
        var ex = Assert.Throws<ConfigException>(() => FerryConfigParser.Parse("cluster_name: a\ndiag_addr: metrics.example.com:9090\n", "f.yaml"));
        Assert.Equal("f.yaml:2:12: diag_addr: expected an IP address and port such as 127.0.0.1:9090, got 'metrics.example.com:9090'", ex.Message);
    }
}
