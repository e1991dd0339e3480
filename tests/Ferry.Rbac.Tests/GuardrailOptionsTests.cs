using Ferry.Rbac;

namespace Ferry.Rbac.Tests;

public sealed class GuardrailOptionsTests
{
    private static readonly Dictionary<string, IReadOnlyList<string>> NoTraits = [];

    private static RoleDocument Role(string name, string options) =>
        RoleYaml.ParseSingle($"kind: role\nname: {name}\noptions:\n{options}\nallow:\n  db_labels: {{ env: dev }}\n  db_users: [alice]\n");

    private const string All = """
          max_query_rows: 10000
          max_query_bytes: 50MB
          statement_timeout: 30s
          idle_timeout: 15m
          read_only: true
          egress: { rows: 200000, bytes: 1GB, per: 24h }
        """;

    [Fact]
    public void Limits_AreReadFromTheOptions_AndWrittenBack()
    {
        var role = Role("guarded", All);

        AssertAll(role.Options);
        var written = RoleYaml.Write(role);
        Assert.Contains("max_query_bytes: 50MB", written, StringComparison.Ordinal);
        AssertAll(RoleYaml.ParseSingle(written).Options);

        static void AssertAll(RoleOptions o)
        {
            Assert.Equal(10_000, o.MaxQueryRows);
            Assert.Equal(50L * 1024 * 1024, o.MaxQueryBytes);
            Assert.Equal(TimeSpan.FromSeconds(30), o.StatementTimeout);
            Assert.Equal(TimeSpan.FromMinutes(15), o.IdleTimeout);
            Assert.True(o.ReadOnly);
            Assert.Equal(new EgressLimit(200_000, 1L << 30, TimeSpan.FromHours(24)), o.Egress);
        }
    }

    [Fact]
    public void Limits_AbsentMeanNone()
    {
        var rbac = new RbacEvaluator([Role("free", "  audit_search: false")], NoTraits);

        Assert.Null(rbac.MaxQueryRows);
        Assert.Null(rbac.MaxQueryBytes);
        Assert.Null(rbac.StatementTimeout);
        Assert.Null(rbac.IdleTimeout);
        Assert.False(rbac.ReadOnly);
        Assert.Null(rbac.Egress);
    }

    [Fact]
    public void Limits_TheMostRestrictiveRoleWins()
    {
        var rbac = new RbacEvaluator(
            [
                Role("a", "  max_query_rows: 500\n  max_query_bytes: 1GB\n  statement_timeout: 1m\n  egress: { rows: 100, per: 1h }"),
                Role("b", "  read_only: false\n  audit_search: true"),
                Role("c", "  max_query_rows: 5000\n  max_query_bytes: 10MB\n  statement_timeout: 2s\n  idle_timeout: 5m\n  read_only: true\n  egress: { rows: 1000, bytes: 5MB, per: 24h }"),
            ],
            NoTraits);

        Assert.Equal(500, rbac.MaxQueryRows);
        Assert.Equal(10L << 20, rbac.MaxQueryBytes);
        Assert.Equal(TimeSpan.FromSeconds(2), rbac.StatementTimeout);
        Assert.Equal(TimeSpan.FromMinutes(5), rbac.IdleTimeout);
        Assert.True(rbac.ReadOnly);
        Assert.Equal(new EgressLimit(100, 5L << 20, TimeSpan.FromHours(24)), rbac.Egress);
    }

    [Theory]
    [InlineData("max_query_rows: 0", "4:19: options.max_query_rows: expected a whole number of rows")]
    [InlineData("max_query_rows: many", "4:19: options.max_query_rows: expected a whole number of rows")]
    [InlineData("max_query_bytes: 50XB", "4:20: options.max_query_bytes: expected a size")]
    [InlineData("max_query_bytes: 0", "4:20: options.max_query_bytes: expected a size")]
    [InlineData("max_query_bytes: 99999999999999TB", "4:20: options.max_query_bytes: expected a size")]
    [InlineData("statement_timeout: 0s", "4:22: options.statement_timeout: expected a duration from 1s to ")]
    [InlineData("statement_timeout: 2d", "4:22: options.statement_timeout: expected a duration from 1s to ")]
    [InlineData("idle_timeout: soon", "4:17: options.idle_timeout: expected a duration")]
    [InlineData("read_only: yes", "4:14: options.read_only: expected true or false")]
    [InlineData("egress: { rows: 10 }", "4:11: options.egress.per: missing")]
    [InlineData("egress: { per: 1h }", "4:11: options.egress: give rows, bytes or both")]
    [InlineData("egress: { rows: 10, per: 1h, days: 2 }", "4:32: options.egress.days: unknown field")]
    [InlineData("egress: 10", "4:11: options.egress: expected a mapping")]
    public void Limits_Malformed_AreErrorsAtTheirLineAndColumn(string option, string expected)
    {
        var yaml = $"kind: role\nname: x\noptions:\n  {option}\n";

        var ex = Assert.Throws<RoleValidationException>(() => RoleYaml.Parse(yaml, "r.yaml"));

        Assert.Contains("r.yaml:" + expected, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("65536", 65536L)]
    [InlineData("64KB", 65536L)]
    [InlineData("16MiB", 16L << 20)]
    [InlineData("2TB", 2L << 40)]
    public void ByteSize_ReadsUnits(string text, long expected)
    {
        Assert.True(ByteSize.TryParse(text, out var value));
        Assert.Equal(expected, value);
        Assert.True(ByteSize.TryParse(ByteSize.Format(value), out var back));
        Assert.Equal(expected, back);
    }
}
