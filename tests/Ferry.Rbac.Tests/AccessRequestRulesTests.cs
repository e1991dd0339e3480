using Ferry.Rbac;

namespace Ferry.Rbac.Tests;

public sealed class AccessRequestRulesTests
{
    private const string Requester = """
        kind: role
        name: dev
        allow:
          request:
            roles: [dba, "prod-*"]
            search_as_roles: [prod-reader]
            reason: required
            max_duration: 4h
            suggested_reviewers: [bob]
            thresholds:
              - approve: 2
                deny: 1
                filter: 'contains(request.roles, "dba") && !equals(request.user, "root")'
              - approve: 1
                deny: 2
        """;

    private const string Reviewer = """
        kind: role
        name: lead
        options: { self_approval: true }
        allow:
          review_requests:
            roles: ["prod-*", dba]
            where: 'matches(request.resources, "db/orders-*") || equals(reviewer.user, "carol")'
        """;

    private static RequestPredicateContext Request(string user, string[] roles, string[]? resources = null, string reviewer = "") => new()
    {
        User = user,
        Roles = roles,
        Resources = resources ?? [],
        ReviewerUser = reviewer,
    };

    [Fact]
    public void Parse_RequestAndReviewRules_AndWriteThemBack()
    {
        var dev = RoleYaml.ParseSingle(Requester);
        var lead = RoleYaml.ParseSingle(Reviewer);

        var rules = dev.Allow.Request!;
        Assert.Equal(["dba", "prod-*"], rules.Roles);
        Assert.Equal(["prod-reader"], rules.SearchAsRoles);
        Assert.True(rules.ReasonRequired);
        Assert.Equal(TimeSpan.FromHours(4), rules.MaxDuration);
        Assert.Equal(2, rules.Thresholds.Count);
        Assert.True(lead.Options.SelfApproval);
        Assert.NotNull(lead.Allow.ReviewRequests!.Where);

        foreach (var role in new[] { dev, lead })
        {
            var again = RoleYaml.ParseSingle(RoleYaml.Write(role));
            Assert.Equal(RoleYaml.Write(role), RoleYaml.Write(again));
        }

        Assert.Contains("self_approval: true", RoleYaml.Write(lead), StringComparison.Ordinal);
        Assert.Contains("filter: \"contains(request.roles, \\\"dba\\\")", RoleYaml.Write(dev), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("allow:\n  request:\n    roles: [dba]\n    reason: maybe\n", "role.yaml:6:13: allow.request.reason: expected required or optional")]
    [InlineData("allow:\n  request:\n    roles: [dba]\n    max_duration: 30d\n", "role.yaml:6:19: allow.request.max_duration: expected a duration from 1s to ")]
    [InlineData("allow:\n  request:\n    roles: [dba]\n    thresholds: [{approve: 0}]\n", "allow.request.thresholds[0].approve: expected a whole number from 1 to 16")]
    [InlineData("allow:\n  request:\n    roles: [dba]\n    thresholds: [{filter: 'contains(reviewer.roles, \"x\")'}]\n", "reviewer.roles is only known in review_requests.where")]
    [InlineData("allow:\n  request:\n    reason: optional\n", "allow.request: give roles")]
    [InlineData("allow:\n  review_requests:\n    roles: [dba]\n    where: 'contains(request.roles, \"dba\"'\n", "role.yaml:6:12: allow.review_requests.where: invalid expression: expected \")\"")]
    [InlineData("allow:\n  review_requests:\n    where: 'true'\n", "allow.review_requests.roles: missing")]
    [InlineData("deny:\n  request:\n    roles: [dba]\n", "role.yaml:4:3: deny.request: only an allow block may hold request")]
    [InlineData("allow:\n  request:\n    roles: [\"{{internal.x}}\"]\n", "is not a name")]
    [InlineData("options:\n  self_approval: sure\n", "options.self_approval: expected true or false")]
    public void InvalidRules_AreRefusedWithLineColumnAndField(string body, string expected)
    {
        var e = Assert.Throws<RoleValidationException>(() => RoleYaml.ParseSingle("kind: role\nname: r\n" + body));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Predicate_IsBounded_AndRefusesUnknownWordsAndFields()
    {
        Assert.Null(RequestPredicate.TryParse(new string('(', 20) + "true" + new string(')', 20), true, out var deep));
        Assert.Contains("nests more than 16", deep, StringComparison.Ordinal);
        Assert.Null(RequestPredicate.TryParse(string.Join("&&", Enumerable.Repeat("true", 130)), true, out var wide));
        Assert.Contains("more than 128 terms", wide, StringComparison.Ordinal);
        Assert.Null(RequestPredicate.TryParse(new string(' ', RequestPredicate.MaxLength + 1), true, out var longText));
        Assert.Contains("longer than 1024", longText, StringComparison.Ordinal);
        Assert.Null(RequestPredicate.TryParse("exec(\"rm\")", true, out var unknown));
        Assert.Contains("unknown function or word \"exec\"", unknown, StringComparison.Ordinal);
        Assert.Null(RequestPredicate.TryParse("equals(request.roles, \"a\")", true, out var list));
        Assert.Contains("use contains(list, value)", list, StringComparison.Ordinal);
        Assert.Null(RequestPredicate.TryParse("contains(request.secrets, \"a\")", true, out var field));
        Assert.Contains("unknown field \"request.secrets\"", field, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("contains(request.roles, \"dba\")", true)]
    [InlineData("contains(request.roles, \"db\")", false)]
    [InlineData("!contains(request.roles, \"dba\") || equals(request.user, \"alice\")", true)]
    [InlineData("equals(request.user, \"alice\") && matches(request.resources, \"db/orders-*\")", true)]
    [InlineData("(false || true) && !(true && false)", true)]
    [InlineData("equals(reviewer.user, request.user)", false)]
    [InlineData("contains(request.roles, \"say \\\"hi\\\"\")", false)]
    public void Predicate_Evaluates(string text, bool expected)
    {
        var predicate = RequestPredicate.TryParse(text, true, out var error);

        Assert.True(predicate is not null, error);
        Assert.Equal(expected, predicate!.Evaluate(Request("alice", ["dba", "ops"], ["db/orders-prod"], reviewer: "bob")));
    }

    [Fact]
    public void Plan_MatchesRequestRoles_FiltersThresholds_AndRefusesOthers()
    {
        IReadOnlyList<RoleDocument> dev = [RoleYaml.ParseSingle(Requester)];

        var dba = AccessRequestRules.PlanRoleRequest(dev, ["dba"], Request("alice", ["dba"]), out _)!;
        Assert.Equal(TimeSpan.FromHours(4), dba.MaxDuration);
        Assert.True(dba.ReasonRequired);
        Assert.Equal(["bob"], dba.SuggestedReviewers);
        Assert.Equal([new RequestThreshold(2, 1, null), new RequestThreshold(1, 2, null)], dba.Thresholds.Single());

        var prod = AccessRequestRules.PlanRoleRequest(dev, ["prod-ro"], Request("alice", ["prod-ro"]), out _)!;
        Assert.Equal([new RequestThreshold(1, 2, null)], prod.Thresholds.Single()); // the dba filter is false here

        Assert.Null(AccessRequestRules.PlanRoleRequest(dev, ["admin"], Request("alice", ["admin"]), out var problem));
        Assert.Contains("allow.request.roles: dba, prod-*", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_DenialWins_ApprovalNeedsEveryRolesThreshold()
    {
        IReadOnlyList<IReadOnlyList<RequestThreshold>> two = [[new(2, 1, null)], [new(1, 1, null)]];

        Assert.Equal(AccessRequestDecision.Pending, AccessRequestRules.Decide(two, 1, 0));
        Assert.Equal(AccessRequestDecision.Approved, AccessRequestRules.Decide(two, 2, 0));
        Assert.Equal(AccessRequestDecision.Denied, AccessRequestRules.Decide(two, 5, 1));
        Assert.Equal(AccessRequestDecision.Approved, AccessRequestRules.Decide([[]], 1, 0)); // default: one approval
    }

    [Fact]
    public void CanReview_NeedsEveryRoleCoveredWhereTrue_AndNoSelfReviewWithoutSelfApproval()
    {
        IReadOnlyList<RoleDocument> lead = [RoleYaml.ParseSingle(Reviewer)];
        IReadOnlyList<RoleDocument> plain = [RoleYaml.ParseSingle(Reviewer.Replace("options: { self_approval: true }\n", "", StringComparison.Ordinal))];

        Assert.True(AccessRequestRules.CanReview(lead, Request("alice", ["prod-ro"], ["db/orders-prod"], reviewer: "bob"), out _));
        Assert.False(AccessRequestRules.CanReview(lead, Request("alice", ["prod-ro"], ["db/billing"], reviewer: "bob"), out var where));
        Assert.Contains("where", where, StringComparison.Ordinal);
        Assert.True(AccessRequestRules.CanReview(lead, Request("alice", ["prod-ro"], ["db/billing"], reviewer: "carol"), out _));
        Assert.False(AccessRequestRules.CanReview(lead, Request("alice", ["prod-ro", "ops"], ["db/orders-prod"], reviewer: "bob"), out _));
        Assert.True(AccessRequestRules.CanReview(lead, Request("bob", ["dba"], ["db/orders-x"], reviewer: "bob"), out _));
        Assert.False(AccessRequestRules.CanReview(plain, Request("bob", ["dba"], ["db/orders-x"], reviewer: "bob"), out var self));
        Assert.Contains("your own access request", self, StringComparison.Ordinal);
        Assert.True(AccessRequestRules.CanReview([BuiltInRoles.Admin], Request("alice", ["anything"], reviewer: "root"), out _));
    }

    [Fact]
    public void ResourceLimit_KeepsLimitedRolesToTheListedDatabases_OnlyWhenAListIsGiven()
    {
        var reader = RoleYaml.ParseSingle("kind: role\nname: prod-reader\nallow:\n  db_labels: { env: prod }\n  db_users: [reader]\n  db_names: [\"*\"]\n");
        var dev = RoleYaml.ParseSingle("kind: role\nname: dev\nallow:\n  db_labels: { env: dev }\n  db_users: [reader]\n  db_names: [\"*\"]\n");
        var traits = new Dictionary<string, IReadOnlyList<string>>();
        var orders = new DatabaseTarget("orders-prod", new Dictionary<string, string> { ["env"] = "prod" });
        var other = new DatabaseTarget("other-prod", new Dictionary<string, string> { ["env"] = "prod" });
        var devDb = new DatabaseTarget("app-dev", new Dictionary<string, string> { ["env"] = "dev" });

        var limited = new RbacEvaluator([dev, reader], traits, ["db/orders-prod"], ["prod-reader"]);
        Assert.True(limited.Check(orders, "reader", "x").Allowed);
        var refused = limited.Check(other, "reader", "x");
        Assert.False(refused.Allowed);
        Assert.Contains("access request limited to db/orders-prod", refused.Reason, StringComparison.Ordinal);
        Assert.True(limited.Check(devDb, "reader", "x").Allowed); // the user's own role is not limited
        Assert.False(limited.CanSee(other).Allowed);

        var all = new RbacEvaluator([dev, reader], traits, ["db/orders-prod"], null);
        Assert.False(all.Check(devDb, "reader", "x").Allowed);
        Assert.True(new RbacEvaluator([dev, reader], traits, [], null).Check(other, "reader", "x").Allowed);
    }
}
