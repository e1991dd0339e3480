using Ferry.Rbac;

namespace Ferry.Rbac.Tests;

public sealed class MaxSessionsTests
{
    private static readonly Dictionary<string, IReadOnlyList<string>> NoTraits = [];

    private static RoleDocument Role(string name, string options) =>
        RoleYaml.ParseSingle($"kind: role\nname: {name}\noptions: {{ {options} }}\nallow:\n  db_labels: {{ env: dev }}\n  db_users: [alice]\n");

    [Fact]
    public void MaxSessions_IsReadFromTheOptions_AndWrittenBack()
    {
        var role = Role("limited", "max_sessions: 3");

        Assert.Equal(3, role.Options.MaxSessions);
        var written = RoleYaml.Write(role);
        Assert.Contains("max_sessions: 3", written, StringComparison.Ordinal);
        Assert.Equal(3, RoleYaml.ParseSingle(written).Options.MaxSessions);
    }

    [Fact]
    public void MaxSessions_AbsentMeansNoLimit()
    {
        Assert.Null(new RbacEvaluator([Role("free", "audit_search: false")], NoTraits).MaxSessions);
        Assert.Null(new RbacEvaluator([], NoTraits).MaxSessions);
    }

    [Fact]
    public void MaxSessions_TheMostRestrictiveRoleWins()
    {
        var rbac = new RbacEvaluator([Role("a", "max_sessions: 10"), Role("b", "audit_search: true"), Role("c", "max_sessions: 4")], NoTraits);

        Assert.Equal(4, rbac.MaxSessions);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("many")]
    [InlineData("2.5")]
    [InlineData("100001")]
    [InlineData("99999999999999999999")]
    [InlineData("[1]")]
    public void MaxSessions_NotAWholeNumberInRange_IsAnErrorAtItsLineAndColumn(string value)
    {
        var yaml = $"kind: role\nname: x\noptions:\n  max_sessions: {value}\n";

        var ex = Assert.Throws<RoleValidationException>(() => RoleYaml.Parse(yaml, "r.yaml"));

        Assert.Contains("r.yaml:4:17: options.max_sessions: expected a whole number of sessions from 1 to 100000", ex.Message, StringComparison.Ordinal);
    }
}
