using Ferry.Rbac;

namespace Ferry.Rbac.Tests;

public sealed class RbacEvaluatorTests
{
    private static readonly RoleDocument Developer = RoleYaml.ParseSingle("""
        kind: role
        name: developer
        options: { max_session_ttl: 8h }
        allow:
          db_labels: { env: [staging, dev] }
          db_names: ["app", "{{internal.db_names}}"]
          db_users: ["{{internal.db_users}}", readonly]
        deny:
          db_labels: { env: prod }
        """);

    private static readonly Dictionary<string, IReadOnlyList<string>> AliceTraits = new()
    {
        ["db_users"] = ["alice"],
        ["db_names"] = ["alice_db"],
    };

    private static DatabaseTarget Db(string name, params (string Key, string Value)[] labels) =>
        new(name, labels.ToDictionary(l => l.Key, l => l.Value));

    [Fact]
    public void Check_TraitExpandedUserOnMatchingLabels_IsAllowed()
    {
        var rbac = new RbacEvaluator([Developer], AliceTraits);

        var decision = rbac.Check(Db("pg1", ("env", "dev")), "alice", "alice_db");

        Assert.True(decision.Allowed, decision.Reason);
        Assert.Equal("developer", decision.Role);
    }

    [Fact]
    public void Check_UserNotInRole_NamesTheAllowedUsers()
    {
        var rbac = new RbacEvaluator([Developer], AliceTraits);

        var decision = rbac.Check(Db("pg1", ("env", "dev")), "postgres", "app");

        Assert.False(decision.Allowed);
        Assert.Equal("no role allows db user \"postgres\" (allowed: alice, readonly)", decision.Reason);
    }

    [Fact]
    public void Check_DbNameNotInRole_NamesTheAllowedNames()
    {
        var rbac = new RbacEvaluator([Developer], AliceTraits);

        var decision = rbac.Check(Db("pg1", ("env", "staging")), "readonly", "billing");

        Assert.False(decision.Allowed);
        Assert.Equal("no role allows db name \"billing\" (allowed: app, alice_db)", decision.Reason);
    }

    [Fact]
    public void Check_DenyLabelsWinOverAnAllowingRole()
    {
        var rbac = new RbacEvaluator([Developer, BuiltInRoles.Admin], AliceTraits);

        var decision = rbac.Check(Db("pg-prod", ("env", "prod")), "postgres", "app");

        Assert.False(decision.Allowed);
        Assert.Equal("role \"developer\" deny db_labels env=prod", decision.Reason);
        Assert.Equal("developer", decision.Role);
    }

    [Fact]
    public void Check_DenyDbUsersWinsEverywhere()
    {
        var noSuper = RoleYaml.ParseSingle("kind: role\nname: no-super\ndeny: { db_users: [postgres] }\n");
        var rbac = new RbacEvaluator([BuiltInRoles.Admin, noSuper], AliceTraits);

        Assert.Equal("role \"no-super\" deny db_users postgres", rbac.Check(Db("pg1"), "postgres", "app").Reason);
        Assert.True(rbac.Check(Db("pg1"), "alice", "app").Allowed);
    }

    [Fact]
    public void Check_MissingTrait_ExpandsToNothing()
    {
        var rbac = new RbacEvaluator([Developer], new Dictionary<string, IReadOnlyList<string>>());

        Assert.False(rbac.Check(Db("pg1", ("env", "dev")), "alice", "app").Allowed);
        Assert.True(rbac.Check(Db("pg1", ("env", "dev")), "readonly", "app").Allowed);
    }

    [Fact]
    public void Check_ExternalTemplateWithPrefix_ExpandsEachValue()
    {
        var role = RoleYaml.ParseSingle("""
            kind: role
            name: team
            allow:
              db_labels: { team: "{{external.teams}}" }
              db_names: ["*"]
              db_users: ["dev_{{external.teams}}"]
            """);
        var rbac = new RbacEvaluator([role], new Dictionary<string, IReadOnlyList<string>> { ["external.teams"] = ["red", "blue"] });

        Assert.True(rbac.Check(Db("m1", ("team", "blue")), "dev_blue", "x").Allowed);
        Assert.False(rbac.Check(Db("m1", ("team", "green")), "dev_blue", "x").Allowed);
        Assert.False(rbac.Check(Db("m1", ("team", "red")), "dev_green", "x").Allowed);
    }

    [Fact]
    public void Check_ExternalAndInternalTraits_DoNotStandInForEachOther()
    {
        var role = RoleYaml.ParseSingle("""
            kind: role
            name: mixed
            allow:
              db_labels: { '*': '*' }
              db_names: ["*"]
              db_users: ["{{external.db_users}}", "local_{{internal.db_users}}", "x_{{internal.external.db_users}}"]
            """);
        var sso = new RbacEvaluator([role], new Dictionary<string, IReadOnlyList<string>> { ["external.db_users"] = ["claimed"] });
        var local = new RbacEvaluator([role], new Dictionary<string, IReadOnlyList<string>> { ["db_users"] = ["mine"] });

        Assert.True(sso.Check(Db("m1", ("env", "x")), "claimed", "d").Allowed);
        Assert.False(sso.Check(Db("m1", ("env", "x")), "local_claimed", "d").Allowed);
        Assert.False(sso.Check(Db("m1", ("env", "x")), "x_claimed", "d").Allowed);
        Assert.True(local.Check(Db("m1", ("env", "x")), "local_mine", "d").Allowed);
        Assert.False(local.Check(Db("m1", ("env", "x")), "mine", "d").Allowed);
    }

    [Fact]
    public void Check_UnlabelledDatabase_IsOutsideLabelRules()
    {
        var rbac = new RbacEvaluator([Developer], AliceTraits);

        var decision = rbac.Check(Db("pg9"), "readonly", "app");

        Assert.Equal("no role allows database \"pg9\" (no labels)", decision.Reason);
    }

    [Fact]
    public void Check_UserAndNameAllowedOnlyByDifferentRoles_IsDenied()
    {
        var a = RoleYaml.ParseSingle("kind: role\nname: a\nallow: { db_labels: {'*': '*'}, db_users: [u1], db_names: [n1] }\n");
        var b = RoleYaml.ParseSingle("kind: role\nname: b\nallow: { db_labels: {'*': '*'}, db_users: [u2], db_names: [n2] }\n");
        var rbac = new RbacEvaluator([a, b], AliceTraits);

        Assert.True(rbac.Check(Db("x"), "u1", "n1").Allowed);
        Assert.Contains("no single role", rbac.Check(Db("x"), "u1", "n2").Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_GlobPatterns_MatchPrefixes()
    {
        var role = RoleYaml.ParseSingle("kind: role\nname: g\nallow: { db_labels: {env: 'dev-*'}, db_users: ['ro_*'], db_names: ['*'] }\n");
        var rbac = new RbacEvaluator([role], AliceTraits);

        Assert.True(rbac.Check(Db("x", ("env", "dev-eu")), "ro_app", "y").Allowed);
        Assert.False(rbac.Check(Db("x", ("env", "devx")), "ro_app", "y").Allowed);
        Assert.False(rbac.Check(Db("x", ("env", "dev-eu")), "rw_app", "y").Allowed);
    }

    [Fact]
    public void Check_EmptyDbName_SkipsTheNameCheck()
    {
        var rbac = new RbacEvaluator([Developer], AliceTraits);

        Assert.True(rbac.Check(Db("my1", ("env", "dev")), "readonly", "").Allowed);
    }

    [Fact]
    public void CanSee_UsesLabelsOnly()
    {
        var rbac = new RbacEvaluator([Developer], AliceTraits);

        Assert.True(rbac.CanSee(Db("a", ("env", "dev"))).Allowed);
        Assert.False(rbac.CanSee(Db("b", ("env", "prod"))).Allowed);
        Assert.False(rbac.CanSee(Db("c", ("env", "qa"))).Allowed);
    }

    [Fact]
    public void Summarize_ListsExpandedUsersAndNamesMinusDenied()
    {
        var deny = RoleYaml.ParseSingle("kind: role\nname: d\ndeny: { db_users: [readonly] }\n");
        var rbac = new RbacEvaluator([Developer, deny], AliceTraits);

        var summary = rbac.Summarize(Db("a", ("env", "dev")));

        Assert.True(summary.Visible);
        Assert.Equal(["alice"], summary.DbUsers);
        Assert.Equal(["app", "alice_db"], summary.DbNames);
        Assert.False(rbac.Summarize(Db("p", ("env", "prod"))).Visible);
    }

    [Fact]
    public void Options_CombineAcrossRoles()
    {
        var mfa = RoleYaml.ParseSingle("kind: role\nname: m\noptions: { require_session_mfa: true, max_session_ttl: 1h }\n");

        var rbac = new RbacEvaluator([Developer, mfa, BuiltInRoles.Admin], AliceTraits);

        Assert.Equal(TimeSpan.FromHours(1), rbac.MaxSessionTtl);
        Assert.True(rbac.RequireSessionMfa);
        Assert.True(rbac.AuditSearch);
        Assert.False(new RbacEvaluator([Developer], AliceTraits).AuditSearch);
        Assert.Equal(RoleOptions.DefaultMaxSessionTtl, new RbacEvaluator([], AliceTraits).MaxSessionTtl);
    }

    [Fact]
    public void RequiresSessionMfa_OnlyForRoutesARoleRequiringItGrants_WithTheSmallestWindow()
    {
        var mfa = RoleYaml.ParseSingle("""
            kind: role
            name: mfa
            options: { require_session_mfa: true, session_mfa_window: 10m }
            allow:
              db_labels: { env: dev }
              db_users: [alice]
              db_names: [app]
            """);
        var strict = RoleYaml.ParseSingle("""
            kind: role
            name: strict
            options: { require_session_mfa: true, session_mfa_window: 30s }
            allow:
              db_labels: { env: dev }
              db_users: [alice]
              db_names: [other]
            """);
        var rbac = new RbacEvaluator([Developer, mfa, strict], AliceTraits);
        var dev = Db("pg1", ("env", "dev"));

        Assert.True(rbac.RequiresSessionMfa(dev, "alice", "app"));
        Assert.True(rbac.RequiresSessionMfa(dev, "alice", ""));
        Assert.False(rbac.RequiresSessionMfa(dev, "readonly", "app"));
        Assert.False(rbac.RequiresSessionMfa(Db("pg2", ("env", "staging")), "alice", "app"));
        Assert.Equal(TimeSpan.FromMinutes(10), rbac.SessionMfaWindow(dev, "alice", "app"));
        Assert.Equal(TimeSpan.FromSeconds(30), rbac.SessionMfaWindow(dev, "alice", ""));
        Assert.Equal(RoleOptions.DefaultSessionMfaWindow, new RbacEvaluator([Developer, RoleYaml.ParseSingle("kind: role\nname: m\noptions: { require_session_mfa: true }\nallow: { db_labels: { env: dev }, db_users: [alice] }\n")], AliceTraits).SessionMfaWindow(dev, "alice", "app"));
    }

    [Fact]
    public void CheckMySqlReplication_OnlyARoleThatSetsTheOptionAndAllowsTheUser_Allows()
    {
        var replicator = RoleYaml.ParseSingle("""
            kind: role
            name: replicator
            options: { mysql_replication: true }
            allow:
              db_labels: { env: dev }
              db_users: [repl]
            """);
        var rbac = new RbacEvaluator([Developer, replicator], AliceTraits);
        var dev = Db("my1", ("env", "dev"));

        var repl = rbac.CheckMySqlReplication(dev, "repl");
        var alice = rbac.CheckMySqlReplication(dev, "alice");
        var staging = rbac.CheckMySqlReplication(Db("my2", ("env", "staging")), "alice");

        Assert.True(repl.Allowed, repl.Reason);
        Assert.Equal("replicator", repl.Role);
        Assert.False(alice.Allowed);
        Assert.Contains("options.mysql_replication", alice.Reason, StringComparison.Ordinal);
        Assert.False(staging.Allowed);
        Assert.False(new RbacEvaluator([Developer], AliceTraits).CheckMySqlReplication(dev, "alice").Allowed);
    }
}
