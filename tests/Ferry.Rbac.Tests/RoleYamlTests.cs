using Ferry.Rbac;

namespace Ferry.Rbac.Tests;

public sealed class RoleYamlTests
{
    private const string Developer = """
        kind: role
        name: developer
        options: { max_session_ttl: 8h, require_session_mfa: false }
        allow:
          db_labels: { env: [staging, dev] }
          db_names: ["app", "{{internal.db_names}}"]
          db_users: ["{{internal.db_users}}", readonly]
        deny:
          db_labels: { env: prod }
        """;

    [Fact]
    public void Parse_DesignExample_ReadsEveryField()
    {
        var role = RoleYaml.ParseSingle(Developer);

        Assert.Equal("developer", role.Name);
        Assert.Equal(TimeSpan.FromHours(8), role.Options.MaxSessionTtl);
        Assert.False(role.Options.RequireSessionMfa);
        Assert.False(role.Options.AuditSearch);
        Assert.Equal(["staging", "dev"], role.Allow.DbLabels["env"]);
        Assert.Equal(["app", "{{internal.db_names}}"], role.Allow.DbNames);
        Assert.Equal(["{{internal.db_users}}", "readonly"], role.Allow.DbUsers);
        Assert.Equal(["prod"], role.Deny.DbLabels["env"]);
    }

    [Fact]
    public void Write_ThenParse_GivesAnEqualRole()
    {
        var role = RoleYaml.ParseSingle(Developer) with { Description = "a \"quoted\"\\ text" };

        var again = RoleYaml.ParseSingle(RoleYaml.Write(role));

        Assert.Equal(RoleYaml.Write(role), RoleYaml.Write(again));
        Assert.Equal(role.Description, again.Description);
        Assert.Equal(role.Options, again.Options);
    }

    [Fact]
    public void Parse_SeveralDocuments_ReturnsEveryRole()
    {
        var roles = RoleYaml.Parse(Developer + "\n---\nkind: role\nname: auditor\noptions: { audit_search: true }\n");

        Assert.Equal(["developer", "auditor"], roles.Select(r => r.Name));
        Assert.True(roles[1].Options.AuditSearch);
    }

    [Fact]
    public void Parse_LabelValueThatIsAMapping_NamesFieldLineAndColumn()
    {
        var yaml = "kind: role\nname: x\nallow:\n  db_labels:\n    env:\n      a: b\n";

        var ex = Assert.Throws<RoleValidationException>(() => RoleYaml.Parse(yaml, "role.yaml"));

        var error = Assert.Single(ex.Errors);
        Assert.Equal("allow.db_labels.env", error.Path);
        Assert.Equal(6, error.Line);
        Assert.Equal(7, error.Column);
        Assert.StartsWith("role.yaml:6:7: allow.db_labels.env: expected a string or a list of strings", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SessionMfaWindow_IsReadAndWrittenBack()
    {
        var role = RoleYaml.ParseSingle("kind: role\nname: x\noptions: { require_session_mfa: true, session_mfa_window: 15m }\n");

        Assert.Equal(TimeSpan.FromMinutes(15), role.Options.SessionMfaWindow);
        Assert.Equal(TimeSpan.FromMinutes(15), RoleYaml.ParseSingle(RoleYamlWriter.Write(role)).Options.SessionMfaWindow);
        Assert.Equal(RoleOptions.DefaultSessionMfaWindow, RoleYaml.ParseSingle("kind: role\nname: y\n").Options.EffectiveSessionMfaWindow);
    }

    [Fact]
    public void Parse_UnknownKey_IsAnErrorWithItsPath()
    {
        var yaml = "kind: role\nname: x\nallow:\n  db_user: [a]\n";

        var ex = Assert.Throws<RoleValidationException>(() => RoleYaml.Parse(yaml, "r.yaml"));

        Assert.Contains("r.yaml:4:3: allow.db_user: unknown field", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("kind: role\nname: x\noptions: { max_session_ttl: forever }\n", "options.max_session_ttl: invalid duration")]
    [InlineData("kind: role\nname: x\noptions: { require_session_mfa: maybe }\n", "options.require_session_mfa: expected true or false")]
    [InlineData("kind: role\nname: x\noptions: { color: red }\n", "options.color: unknown option")]
    [InlineData("kind: role\nname: x\noptions: { session_mfa_window: 2h }\n", "options.session_mfa_window: must be between 1s and 1h")]
    [InlineData("kind: role\nname: x\noptions: { session_mfa_window: soon }\n", "options.session_mfa_window: invalid duration")]
    [InlineData("kind: role\nname: x\noptions:\n  mysql_replication: yes please\n", "4:22: options.mysql_replication: expected true or false")]
    [InlineData("kind: user\nname: x\n", "kind: expected \"role\"")]
    [InlineData("kind: role\n", "name: missing")]
    [InlineData("kind: role\nname: x\nallow: { db_users: [\"{{internal}}\"] }\n", "allow.db_users[0]: trait template")]
    [InlineData("kind: role\nname: x\nallow: { db_users: [\"{{secret.x}}\"] }\n", "namespace must be")]
    [InlineData("kind: role\nname: x\nallow:\n  db_users:\n    - {{internal.db_users}}\n", "quote trait templates")]
    [InlineData("kind: role\nname: x\nallow: { db_labels: { \"*\": prod } }\n", "wildcard label")]
    [InlineData("kind: role\nname: \"bad name\"\n", "name: must be")]
    [InlineData("kind: role\nname: [x\n", "invalid YAML")]
    [InlineData("", "no role document")]
    public void Parse_InvalidRole_ExplainsTheProblem(string yaml, string expected)
    {
        var ex = Assert.Throws<RoleValidationException>(() => RoleYaml.Parse(yaml));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.NotEmpty(ex.Errors);
    }

    [Fact]
    public void Parse_SeveralProblems_ReportsAllOfThem()
    {
        var yaml = "kind: role\nname: x\nextra: 1\nallow:\n  db_names: {a: b}\n  nope: 2\n";

        var ex = Assert.Throws<RoleValidationException>(() => RoleYaml.Parse(yaml));

        Assert.Equal(3, ex.Errors.Count);
        Assert.Equal(["extra", "allow.db_names", "allow.nope"], ex.Errors.Select(e => e.Path));
    }

    [Fact]
    public void BuiltInAdmin_AllowsEverythingAndAuditSearch()
    {
        var admin = BuiltInRoles.Admin;

        Assert.Equal("admin", admin.Name);
        Assert.True(admin.Options.AuditSearch);
        Assert.Equal(["*"], admin.Allow.DbUsers);
        Assert.Equal(["*"], admin.Allow.DbLabels["*"]);
    }

    [Theory]
    [InlineData("8h", 8 * 3600)]
    [InlineData("30m", 1800)]
    [InlineData("1h30m", 5400)]
    [InlineData("90s", 90)]
    [InlineData("2d", 172800)]
    public void Duration_Parses_GoStyle(string text, int seconds)
    {
        Assert.True(Duration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
        Assert.True(Duration.TryParse(Duration.Format(value), out var again));
        Assert.Equal(value, again);
    }

    [Theory]
    [InlineData("")]
    [InlineData("8")]
    [InlineData("h")]
    [InlineData("0s")]
    [InlineData("1w")]
    [InlineData("-1h")]
    [InlineData("99999999999999999999h")]
    public void Duration_RejectsMalformed(string text) => Assert.False(Duration.TryParse(text, out _));

    [Fact]
    public void MySqlReplication_IsReadAndWrittenOnlyWhenSet()
    {
        var role = RoleYaml.ParseSingle("kind: role\nname: repl\noptions: { mysql_replication: true }\n");
        var plain = RoleYaml.ParseSingle(Developer);

        Assert.True(role.Options.MySqlReplication);
        Assert.Contains("mysql_replication: true", RoleYaml.Write(role), StringComparison.Ordinal);
        Assert.True(RoleYaml.ParseSingle(RoleYaml.Write(role)).Options.MySqlReplication);
        Assert.False(plain.Options.MySqlReplication);
        Assert.DoesNotContain("mysql_replication", RoleYaml.Write(plain), StringComparison.Ordinal);
    }
}
