using Ferry.Audit;
using Ferry.Auth.Backend;
using Ferry.Auth.Model;
using Ferry.Contracts;
using Ferry.Identity;
using Ferry.Rbac;

namespace Ferry.Auth.Tests;

/// <summary>Access requests in the auth service: rules at create, reviews and thresholds, expiry, drop, certificates.</summary>
public sealed class AccessRequestTests : IAsyncLifetime
{
    internal const string Roles = """
        kind: role
        name: dev
        allow:
          db_labels: { env: dev }
          db_users: [app]
          request:
            roles: [dba]
            search_as_roles: [prod-reader]
            reason: required
            max_duration: 2h
            thresholds:
              - approve: 2
                deny: 1
                filter: 'contains(request.roles, "dba")'
        ---
        kind: role
        name: dba
        allow:
          db_labels: { env: prod }
          db_users: ["*"]
          db_names: ["*"]
        ---
        kind: role
        name: prod-reader
        allow:
          db_labels: { env: prod }
          db_users: [reader]
          db_names: ["*"]
        ---
        kind: role
        name: reviewer
        allow:
          review_requests:
            roles: [dba, prod-reader]
            where: '!equals(request.user, "mallory")'
        ---
        kind: role
        name: self-reviewer
        options:
          self_approval: true
        allow:
          request:
            roles: [dba]
          review_requests:
            roles: [dba]
        """;

    private readonly TempDirectory _dir = new();
    private readonly ManualClock _clock = ManualClock.AtNow();
    private readonly CapturingAuditSink _audit = new();
    private AuthService _service = null!;

    public async Task InitializeAsync()
    {
        _service = AuthService.Open(new AuthServiceOptions
        {
            DataDir = _dir.Path,
            ClusterName = "test",
            Time = _clock,
            SweepAccessRequests = false,
            SsoConnectors = [new Ferry.Config.SsoConnectorConfig { Name = "corp", IssuerUrl = "https://idp.example.com", ClientId = "c", RedirectUrl = "https://proxy.example.com/v1/sso/callback" }],
        }, _audit);
        await _service.ApplyRolesAsync(Roles, "roles.yaml", "test");
        foreach (var (name, env) in new[] { ("orders-prod", "prod"), ("other-prod", "prod"), ("app-dev", "dev") })
        {
            await _service.Backend.PutAsync("/db-bindings/" + name, new DatabaseBinding { Name = name, HostId = "agent-1", Protocol = "postgres", Labels = new() { ["env"] = env } },
                StorageJsonContext.Default.DatabaseBinding);
        }

        await _service.AddUserAsync("alice", ["dev"], null, "correct horse battery staple", "test");
        await _service.AddUserAsync("mallory", ["dev"], null, "correct horse battery staple", "test");
        await _service.AddUserAsync("bob", ["reviewer"], null, "correct horse battery staple", "test");
        await _service.AddUserAsync("carol", ["reviewer"], null, "correct horse battery staple", "test");
        await _service.AddUserAsync("sam", ["self-reviewer"], null, "correct horse battery staple", "test");
    }

    public async Task DisposeAsync()
    {
        await _service.DisposeAsync();
        _dir.Dispose();
    }

    private UserIdentity Cert(string user, params string[] roles) => new()
    {
        User = user,
        ClusterName = "test",
        Roles = roles,
        NotBefore = _clock.Now,
        NotAfter = _clock.Now + TimeSpan.FromHours(8),
    };

    private Task<AccessRequestInfo> CreateAsync(string user, string role, string reason = "INC-1: fix the stuck job") =>
        _service.CreateAccessRequestAsync(Cert(user, "dev"), new AccessRequestCreate { Roles = [role], Reason = reason }, "10.0.0.1");

    private Task<AccessRequestInfo> ReviewAsync(string reviewer, string id, bool approve, string role = "reviewer") =>
        _service.ReviewAccessRequestAsync(Cert(reviewer, role), id, new AccessRequestReview { Approve = approve, Reason = "ok" }, "10.0.0.2");

    private UserIdentity Issue(UserIdentity presented, UserCertificateRequest request)
    {
        using var key = KeyPair.Generate();
        request.PublicKeyPem = key.ExportPublicKeyPem();
        var reply = _service.ReissueUserCertificateAsync(presented, request, "10.0.0.1").GetAwaiter().GetResult();
        using var certificate = TlsCertificates.FromPem(reply.CertificatePem, key.ExportPrivateKeyPem());
        var verified = _service.UserVerifier.VerifyUser(certificate);
        Assert.True(verified.IsValid, verified.Message);
        return verified.Identity!;
    }

    [Fact]
    public async Task Create_ForARoleNotInAllowRequest_IsRefusedWith403AndAudited()
    {
        var e = await Assert.ThrowsAsync<AuthException>(() => CreateAsync("alice", "admin"));

        Assert.Equal(403, e.StatusCode);
        Assert.Contains("role \"admin\" is not requestable", e.Message, StringComparison.Ordinal);
        Assert.Contains("allow.request.roles: dba", e.Message, StringComparison.Ordinal);
        var refused = Assert.Single(_audit.Events, x => x.Code == AuditEventKinds.AccessRequestCreateRefused.Code);
        Assert.Equal("alice", refused.User);
        Assert.False(refused.Success);
        Assert.Empty(await _service.ListAccessRequestsAsync(null, null));
    }

    [Fact]
    public async Task Create_WithoutTheRequiredReason_OrWithAnOversizedOne_IsRefusedWith400()
    {
        var missing = await Assert.ThrowsAsync<AuthException>(() => CreateAsync("alice", "dba", reason: ""));
        Assert.Equal(400, missing.StatusCode);
        Assert.Contains("a reason is required", missing.Message, StringComparison.Ordinal);

        var big = await Assert.ThrowsAsync<AuthException>(() => CreateAsync("alice", "dba", reason: new string('x', AuthService.MaxAccessRequestReasonBytes + 1)));
        Assert.Equal(400, big.StatusCode);
    }

    [Fact]
    public async Task Review_NeedsTwoApprovals_RefusesSelfReview_NonReviewers_AndASecondReviewBySamePerson()
    {
        var request = await CreateAsync("alice", "dba");
        Assert.Equal(AccessRequestStates.Pending, request.State);
        Assert.True(Guid.TryParseExact(request.Id, "D", out _));
        Assert.Equal(7200, request.DurationSeconds);

        var self = await Assert.ThrowsAsync<AuthException>(() => ReviewAsync("alice", request.Id, true, role: "dev"));
        Assert.Equal(403, self.StatusCode);

        var first = await ReviewAsync("bob", request.Id, true);
        Assert.Equal(AccessRequestStates.Pending, first.State); // the threshold for dba is two approvals

        var again = await Assert.ThrowsAsync<AuthException>(() => ReviewAsync("bob", request.Id, true));
        Assert.Equal(409, again.StatusCode);

        var second = await ReviewAsync("carol", request.Id, true);
        Assert.Equal(AccessRequestStates.Approved, second.State);
        Assert.Equal(_clock.Now + TimeSpan.FromHours(2), second.AccessExpires);
        Assert.Single(_audit.Events, x => x.Code == AuditEventKinds.AccessRequestGrant.Code && x.Details!["id"] == request.Id);
        Assert.Equal(2, _audit.Events.Count(x => x.Code == AuditEventKinds.AccessRequestReviewRefused.Code));
    }

    [Fact]
    public async Task SelfReview_IsRefusedByDefault_ButAllowedByARoleWithSelfApproval()
    {
        var mine = await _service.CreateAccessRequestAsync(Cert("sam", "self-reviewer"), new AccessRequestCreate { Roles = ["dba"] }, "10.0.0.1");

        var approved = await ReviewAsync("sam", mine.Id, true, role: "self-reviewer");

        Assert.Equal(AccessRequestStates.Approved, approved.State);
    }

    [Fact]
    public async Task Review_WhereClause_KeepsReviewersFromRequestsItExcludes()
    {
        var request = await CreateAsync("mallory", "dba");

        var e = await Assert.ThrowsAsync<AuthException>(() => ReviewAsync("bob", request.Id, true));

        Assert.Equal(403, e.StatusCode);
        Assert.Contains("where", e.Message, StringComparison.Ordinal);
        Assert.Empty(await _service.ListAccessRequestsAsync(Cert("bob", "reviewer"), null));
    }

    [Fact]
    public async Task OneDenial_DeniesTheRequest_AndADeniedRequestGivesNoRoles()
    {
        var request = await CreateAsync("alice", "dba");
        var denied = await ReviewAsync("bob", request.Id, false);
        Assert.Equal(AccessRequestStates.Denied, denied.State);

        var e = Assert.Throws<AuthException>(() => Issue(Cert("alice", "dev"), new UserCertificateRequest { AccessRequestIds = [request.Id] }));

        Assert.Equal(403, e.StatusCode);
        Assert.Contains(request.Id + " is denied", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApprovedRequest_AddsItsRoles_NamesTheRequest_AndEndsTheCertificateWithTheGrant()
    {
        var request = await CreateAsync("alice", "dba");
        await ReviewAsync("bob", request.Id, true);
        var approved = await ReviewAsync("carol", request.Id, true);

        var login = Issue(Cert("alice", "dev"), new UserCertificateRequest { AccessRequestIds = [request.Id] });

        Assert.Equal(["dev", "dba"], login.Roles);
        Assert.Equal([request.Id], login.AccessRequestIds);
        Assert.Empty(login.ResourceIds);
        Assert.True(login.NotAfter <= approved.AccessExpires, $"{login.NotAfter} > {approved.AccessExpires}");

        // A route certificate from the elevated one re-checks the request; once the grant ends it is refused.
        var routed = Issue(login, new UserCertificateRequest { Route = new RouteRequest { Service = "orders-prod", Protocol = "postgres", DbUser = "admin" } });
        Assert.Contains("dba", routed.Roles);
        _clock.Advance(TimeSpan.FromHours(2));
        var stillNamed = new UserIdentity { User = "alice", ClusterName = "test", Roles = ["dev", "dba"], AccessRequestIds = [request.Id], NotBefore = _clock.Now, NotAfter = _clock.Now + TimeSpan.FromHours(8) };
        var ended = Assert.Throws<AuthException>(() => Issue(stillNamed, new UserCertificateRequest()));
        Assert.Equal(403, ended.StatusCode);
        Assert.Contains(request.Id + " is expired", ended.Message, StringComparison.Ordinal);
        Assert.Single(_audit.Events, x => x.Code == AuditEventKinds.AccessRequestExpire.Code);
    }

    [Fact]
    public async Task ResourceRequest_LimitsItsRolesToTheRequestedDatabase()
    {
        var created = await _service.CreateAccessRequestAsync(Cert("alice", "dev"),
            new AccessRequestCreate { Resources = ["db/orders-prod"], Reason = "INC-2" }, "10.0.0.1");
        Assert.Equal(["prod-reader"], created.Roles);
        var approved = await ReviewAsync("bob", created.Id, true); // the dba-only threshold does not apply: one approval
        Assert.Equal(AccessRequestStates.Approved, approved.State);

        var login = Issue(Cert("alice", "dev"), new UserCertificateRequest { AccessRequestIds = [created.Id] });
        Assert.Equal(["db/orders-prod"], login.ResourceIds);
        Assert.Contains("prod-reader", login.Roles);

        var orders = Issue(login, new UserCertificateRequest { Route = new RouteRequest { Service = "orders-prod", Protocol = "postgres", DbUser = "reader" } });
        Assert.Contains("prod-reader", orders.Roles);
        Assert.Equal(["db/orders-prod"], orders.ResourceIds);

        var other = Issue(login, new UserCertificateRequest { Route = new RouteRequest { Service = "other-prod", Protocol = "postgres", DbUser = "reader" } });
        Assert.DoesNotContain("prod-reader", other.Roles);
        Assert.Empty(other.ResourceIds);
        Assert.Equal([created.Id], other.AccessRequestIds);

        // What the agent evaluates from the routed certificate: the limit holds even if the roles were there.
        var roles = await _service.ResolveRolesAsync(orders.Roles);
        var rbac = new RbacEvaluator(roles, orders.Traits, orders.ResourceIds, null);
        Assert.True(rbac.Check(new DatabaseTarget("orders-prod", new Dictionary<string, string> { ["env"] = "prod" }), "reader", "app").Allowed);
        Assert.False(rbac.Check(new DatabaseTarget("other-prod", new Dictionary<string, string> { ["env"] = "prod" }), "reader", "app").Allowed);
    }

    [Fact]
    public async Task ResourceRequest_ForAnUnknownOrUnreachableDatabase_IsRefused()
    {
        var unknown = await Assert.ThrowsAsync<AuthException>(() => _service.CreateAccessRequestAsync(Cert("alice", "dev"), new AccessRequestCreate { Resources = ["db/nope"], Reason = "x" }, "10.0.0.1"));
        Assert.Equal(404, unknown.StatusCode);

        var unreachable = await Assert.ThrowsAsync<AuthException>(() => _service.CreateAccessRequestAsync(Cert("alice", "dev"), new AccessRequestCreate { Resources = ["db/app-dev"], Reason = "x" }, "10.0.0.1"));
        Assert.Equal(403, unreachable.StatusCode);
        Assert.Contains("search_as_roles", unreachable.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PendingRequest_ExpiresAfterPendingTtl_AndCanNoLongerBeReviewed()
    {
        var request = await CreateAsync("alice", "dba");
        _clock.Advance(TimeSpan.FromHours(1));

        Assert.Equal(0, await _service.SweepAccessRequestsAsync());

        var e = await Assert.ThrowsAsync<AuthException>(() => ReviewAsync("bob", request.Id, true));
        Assert.Equal(409, e.StatusCode);
        Assert.Equal(AccessRequestStates.Expired, (await _service.GetAccessRequestAsync(null, request.Id)).State);
        Assert.Single(_audit.Events, x => x.Code == AuditEventKinds.AccessRequestExpire.Code);
    }

    [Fact]
    public async Task DroppingAnApprovedGrant_LocksTheRequestUntilItsEnd_AndCertificatesNamingItAreRefused()
    {
        var created = await _service.CreateAccessRequestAsync(Cert("alice", "dev"), new AccessRequestCreate { Resources = ["db/orders-prod"], Reason = "INC-3" }, "10.0.0.1");
        var approved = await ReviewAsync("bob", created.Id, true);
        var login = Issue(Cert("alice", "dev"), new UserCertificateRequest { AccessRequestIds = [created.Id] });

        var notYours = await Assert.ThrowsAsync<AuthException>(() => _service.DropAccessRequestAsync(Cert("bob", "reviewer"), created.Id, new AccessRequestDrop(), "10.0.0.2"));
        Assert.Equal(403, notYours.StatusCode);

        var dropped = await _service.DropAccessRequestAsync(Cert("alice", "dev"), created.Id, new AccessRequestDrop { Reason = "done" }, "10.0.0.1");

        Assert.Equal(AccessRequestStates.Dropped, dropped.State);
        var l = Assert.Single(await _service.ListLocksAsync());
        Assert.Equal(LockTargetKind.AccessRequest, l.Kind);
        Assert.Equal(created.Id, l.Target);
        Assert.Equal(approved.AccessExpires, l.ExpiresAt);
        var e = Assert.Throws<AuthException>(() => Issue(login, new UserCertificateRequest { Route = new RouteRequest { Service = "orders-prod", Protocol = "postgres", DbUser = "reader" } }));
        Assert.Equal(403, e.StatusCode);
        Assert.Contains(created.Id, e.Message, StringComparison.Ordinal);
        Assert.Single(_audit.Events, x => x.Code == AuditEventKinds.AccessRequestDrop.Code && x.Details!["lock"] == l.Id);
    }

    [Fact]
    public async Task PendingRequestsPerUser_AreBounded()
    {
        for (var i = 0; i < new Ferry.Config.AccessRequestsConfig().MaxPendingPerUser; i++)
        {
            await CreateAsync("alice", "dba");
        }

        var e = await Assert.ThrowsAsync<AuthException>(() => CreateAsync("alice", "dba"));

        Assert.Equal(429, e.StatusCode);
        await CreateAsync("mallory", "dba"); // someone else's flood does not lock mallory out
    }

    [Fact]
    public async Task SsoRequester_CanRequestAndUseAGrant_AndItsElevatedRolesAreNotItsOwn()
    {
        var sso = new UserIdentity { User = "erin", ClusterName = "test", Roles = ["dev"], Connector = "corp", NotBefore = _clock.Now, NotAfter = _clock.Now + TimeSpan.FromHours(8) };
        var request = await _service.CreateAccessRequestAsync(sso, new AccessRequestCreate { Roles = ["dba"], Reason = "INC-4" }, "10.0.0.1");
        await ReviewAsync("bob", request.Id, true);
        await _service.ReviewAccessRequestAsync(
            new UserIdentity { User = "sso-carol", ClusterName = "test", Roles = ["reviewer"], Connector = "corp", NotAfter = _clock.Now + TimeSpan.FromHours(1) },
            request.Id, new AccessRequestReview { Approve = true }, "10.0.0.3");
        var elevated = Issue(sso, new UserCertificateRequest { AccessRequestIds = [request.Id] });
        Assert.Equal(["dev", "dba"], elevated.Roles);

        // The elevated certificate's roles include dba; a new request made with it is judged on erin's own roles only.
        var again = await _service.CreateAccessRequestAsync(elevated, new AccessRequestCreate { Roles = ["dba"], Reason = "INC-5" }, "10.0.0.1");
        Assert.Equal(["dba"], again.Roles);

        // Once the grant is dropped, re-issuing from the elevated certificate is refused rather than keeping dba.
        await _service.DropAccessRequestAsync(elevated, request.Id, new AccessRequestDrop(), "10.0.0.1");
        var refused = Assert.Throws<AuthException>(() => Issue(elevated, new UserCertificateRequest()));
        Assert.Equal(403, refused.StatusCode);
        Assert.Contains(request.Id, refused.Message, StringComparison.Ordinal);
    }
}
