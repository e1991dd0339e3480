using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Ferry.Audit;
using Ferry.Auth.Backend;
using Ferry.Auth.Model;
using Ferry.Contracts;
using Ferry.Diagnostics;
using Ferry.Identity;
using Ferry.Rbac;

namespace Ferry.Auth;

/// <summary>
/// Just-in-time access requests: a user asks for roles (or for databases through <c>search_as_roles</c>), reviewers
/// approve or deny, an approved request adds its roles to certificates issued with its id until the grant ends.
/// </summary>
public sealed partial class AuthService
{
    /// <summary>Longest reason (UTF-8 bytes) of a request, review or drop.</summary>
    public const int MaxAccessRequestReasonBytes = 1024;

    /// <summary>Most roles, resources or suggested reviewers in one request.</summary>
    public const int MaxAccessRequestItems = 32;

    /// <summary>Most requests one certificate may name.</summary>
    public const int MaxAccessRequestIdsPerCertificate = 8;

    /// <summary>Most requests one user may create in <see cref="AccessRequestCreateWindow"/> (any outcome).</summary>
    public const int MaxAccessRequestsPerWindow = 50;

    private static readonly TimeSpan AccessRequestCreateWindow = TimeSpan.FromDays(1);

    private const int MaxReviewAttempts = 16;

    private readonly SemaphoreSlim _accessRequestCreate = new(1, 1);

    /// <summary>
    /// <c>POST /v1/access-requests</c>: validates the request against the caller's <c>allow.request</c> rules and stores
    /// it as pending (for <c>pending_ttl</c>). Refusals: 400 bad input, 403 not requestable, 404 unknown database,
    /// 429 too many pending.
    /// </summary>
    public async Task<AccessRequestInfo> CreateAccessRequestAsync(UserIdentity caller, AccessRequestCreate create, string clientAddr, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(create);
        try
        {
            return await CreateAccessRequestCoreAsync(caller, create, clientAddr, ct).ConfigureAwait(false);
        }
        catch (AuthException e)
        {
            AccessRequestRefused(AuditEventKinds.AccessRequestCreateRefused, caller.User, "", e, clientAddr);
            throw;
        }
    }

    private async Task<AccessRequestInfo> CreateAccessRequestCoreAsync(UserIdentity caller, AccessRequestCreate create, string clientAddr, CancellationToken ct)
    {
        var roles = create.Roles ?? [];
        var resources = create.Resources ?? [];
        var reviewers = create.Reviewers ?? [];
        var reason = create.Reason ?? "";
        if ((roles.Count == 0) == (resources.Count == 0))
        {
            throw AuthException.BadRequest("give either roles (--roles dba) or resources (--resource db/NAME), not both and not neither");
        }

        RequireCount(roles, "roles");
        RequireCount(resources, "resources");
        RequireCount(reviewers, "reviewers");
        foreach (var role in roles)
        {
            Names.Require(role, "role");
        }

        foreach (var reviewer in reviewers)
        {
            Names.Require(reviewer, "reviewer");
        }

        foreach (var resource in resources)
        {
            if (!resource.StartsWith(RbacEvaluator.DatabaseResourcePrefix, StringComparison.Ordinal))
            {
                throw AuthException.BadRequest($"resource \"{Bounded(resource)}\" is not a resource id: use db/NAME");
            }

            Names.Require(resource[RbacEvaluator.DatabaseResourcePrefix.Length..], "resource database name");
        }

        RequireReason(reason, "reason");
        TimeSpan? asked = null;
        if (create.DurationSeconds is { } seconds)
        {
            if (seconds <= 0 || seconds > (long)RequestRules.MaxDurationLimit.TotalSeconds)
            {
                throw AuthException.BadRequest($"duration must be from 1s to {Duration.Format(RequestRules.MaxDurationLimit)}");
            }

            asked = TimeSpan.FromSeconds(seconds);
        }

        var (user, baseRoles, traits) = await CurrentRolesAndTraitsAsync(caller, ct).ConfigureAwait(false);
        await RequireNotLockedAsync(user, baseRoles, clientAddr, ct).ConfigureAwait(false);
        var requesterRoles = await ResolveRolesAsync(baseRoles, ct).ConfigureAwait(false);
        var context = new RequestPredicateContext
        {
            User = user,
            Roles = roles.Distinct(StringComparer.Ordinal).ToArray(),
            Resources = resources.Distinct(StringComparer.Ordinal).ToArray(),
            Reason = reason,
            SuggestedReviewers = reviewers,
        };
        AccessRequestPlan plan;
        if (roles.Count > 0)
        {
            plan = AccessRequestRules.PlanRoleRequest(requesterRoles, context.Roles, context, out var problem)
                ?? throw AuthException.Forbidden(problem + ": ask an administrator to add it to allow.request.roles of one of your roles");
            foreach (var role in context.Roles)
            {
                if (baseRoles.Contains(role, StringComparer.Ordinal))
                {
                    throw AuthException.BadRequest($"you already hold role \"{role}\": there is nothing to request");
                }

                if ((await ResolveRolesAsync([role], ct).ConfigureAwait(false)).Count == 0)
                {
                    throw AuthException.BadRequest($"role \"{role}\" does not exist: see the role names your administrator gave you");
                }
            }
        }
        else
        {
            var grantRoles = await RolesReachingAsync(requesterRoles, context.Resources, traits, ct).ConfigureAwait(false);
            context = new RequestPredicateContext
            {
                User = user,
                Roles = grantRoles,
                Resources = context.Resources,
                Reason = reason,
                SuggestedReviewers = reviewers,
            };
            plan = AccessRequestRules.PlanResourceRequest(requesterRoles, grantRoles, context);
        }

        if (plan.ReasonRequired && string.IsNullOrWhiteSpace(reason))
        {
            throw AuthException.BadRequest($"a reason is required to request {string.Join(", ", plan.Roles)}: add --reason \"…\" (e.g. the ticket)");
        }

        var duration = asked is { } a && a < plan.MaxDuration ? a : plan.MaxDuration;
        var now = Now;
        var record = new AccessRequestRecord
        {
            Id = NewRequestId(),
            User = user,
            Connector = caller.Connector,
            RequesterRoles = [.. baseRoles],
            Roles = [.. plan.Roles],
            Resources = [.. context.Resources],
            Reason = reason,
            State = AccessRequestStates.Pending,
            Created = now,
            PendingExpires = now + _options.AccessRequests.PendingTtl,
            DurationSeconds = (long)duration.TotalSeconds,
            SuggestedReviewers = [.. reviewers.Concat(plan.SuggestedReviewers).Distinct(StringComparer.Ordinal).Take(MaxAccessRequestItems)],
            Thresholds = [.. plan.Thresholds.Select(set => set.Select(t => new ThresholdRecord { Approve = t.Approve, Deny = t.Deny }).ToList())],
        };

        await _accessRequestCreate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var mine = (await ListAccessRequestRecordsAsync(ct).ConfigureAwait(false)).Where(r => r.Record.User == user).Select(r => r.Record).ToArray();
            var pending = mine.Count(r => EffectiveState(r, now) == AccessRequestStates.Pending);
            if (pending >= _options.AccessRequests.MaxPendingPerUser)
            {
                throw new AuthException(429, string.Create(CultureInfo.InvariantCulture,
                    $"you already have {pending} pending access requests (at most {_options.AccessRequests.MaxPendingPerUser}): drop one (`ferry request drop ID`) or wait for a review"));
            }

            if (mine.Count(r => r.Created > now - AccessRequestCreateWindow) >= MaxAccessRequestsPerWindow)
            {
                throw new AuthException(429, $"you created {MaxAccessRequestsPerWindow} access requests in the last day: try again tomorrow or ask an administrator", TimeSpan.FromHours(1));
            }

            await Backend.PutAsync(BackendKeys.AccessRequest(record.Id), record, StorageJsonContext.Default.AccessRequestRecord, RetentionOf(record, now), ct).ConfigureAwait(false);
        }
        finally
        {
            _accessRequestCreate.Release();
        }

        AccessRequestEvent(AuditEventKinds.AccessRequestCreate, user, record, clientAddr, new()
        {
            ["duration"] = Duration.Format(duration),
            ["pending_expires"] = Iso(record.PendingExpires),
            ["reviewers"] = string.Join(",", record.SuggestedReviewers),
        }, baseRoles);
        FerryMetrics.AccessRequest("create");
        AuthLog.AccessRequestCreated(_log, record.Id, user, string.Join(",", record.Roles), string.Join(",", record.Resources));
        _notifier?.Enqueue("access_request.create", ToInfo(record, now), user);
        return ToInfo(record, now);
    }

    /// <summary>
    /// <c>GET /v1/access-requests</c>: the caller's own requests and the ones the caller may review (with
    /// <paramref name="all"/>, every request: <c>ferryd admin requests ls</c>), newest first, optionally in one state.
    /// </summary>
    public async Task<List<AccessRequestInfo>> ListAccessRequestsAsync(UserIdentity? caller, string? state, CancellationToken ct = default)
    {
        if (state is not null && state is not (AccessRequestStates.Pending or AccessRequestStates.Approved or AccessRequestStates.Denied or AccessRequestStates.Expired or AccessRequestStates.Dropped))
        {
            throw AuthException.BadRequest($"state \"{Bounded(state)}\" is unknown: use pending, approved, denied, expired or dropped");
        }

        var now = Now;
        IReadOnlyList<RoleDocument>? reviewerRoles = null;
        string? user = null;
        if (caller is not null)
        {
            (user, var roles, _) = await CurrentRolesAndTraitsAsync(caller, ct).ConfigureAwait(false);
            reviewerRoles = await ResolveRolesAsync(roles, ct).ConfigureAwait(false);
        }

        var list = new List<AccessRequestInfo>();
        foreach (var (record, revision) in await ListAccessRequestRecordsAsync(ct).ConfigureAwait(false))
        {
            var current = await ExpireIfDueAsync(record, revision, ct).ConfigureAwait(false);
            if (state is not null && current.State != state)
            {
                continue;
            }

            if (caller is null || current.User == user || (reviewerRoles is not null && MayReview(reviewerRoles, user!, current, out _)))
            {
                list.Add(ToInfo(current, now));
            }
        }

        return [.. list.OrderByDescending(r => r.Created)];
    }

    /// <summary><c>GET /v1/access-requests/{id}</c>: one request the caller made or may review (null caller: any).</summary>
    public async Task<AccessRequestInfo> GetAccessRequestAsync(UserIdentity? caller, string id, CancellationToken ct = default)
    {
        var (record, revision) = await LoadAccessRequestAsync(id, ct).ConfigureAwait(false);
        record = await ExpireIfDueAsync(record, revision, ct).ConfigureAwait(false);
        if (caller is not null)
        {
            var (user, roles, _) = await CurrentRolesAndTraitsAsync(caller, ct).ConfigureAwait(false);
            if (record.User != user && !MayReview(await ResolveRolesAsync(roles, ct).ConfigureAwait(false), user, record, out _))
            {
                throw NotFoundRequest(id);
            }
        }

        return ToInfo(record, Now);
    }

    /// <summary>
    /// <c>POST /v1/access-requests/{id}/review</c>: one approval or denial by a reviewer whose <c>allow.review_requests</c>
    /// covers the request (never the requester, unless <c>options.self_approval</c>); the thresholds decide. With a null
    /// <paramref name="caller"/> the operator decides at once (<c>ferryd admin requests approve|deny</c>).
    /// </summary>
    public async Task<AccessRequestInfo> ReviewAccessRequestAsync(UserIdentity? caller, string id, AccessRequestReview review, string clientAddr, string? actor = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(review);
        var reviewerName = caller?.User ?? actor ?? "admin";
        try
        {
            return await ReviewAccessRequestCoreAsync(caller, id, review, clientAddr, reviewerName, ct).ConfigureAwait(false);
        }
        catch (AuthException e)
        {
            AccessRequestRefused(AuditEventKinds.AccessRequestReviewRefused, reviewerName, id, e, clientAddr);
            throw;
        }
    }

    private async Task<AccessRequestInfo> ReviewAccessRequestCoreAsync(UserIdentity? caller, string id, AccessRequestReview review, string clientAddr, string reviewerName, CancellationToken ct)
    {
        var reason = review.Reason ?? "";
        RequireReason(reason, "reason");
        IReadOnlyList<RoleDocument>? reviewerRoles = null;
        IReadOnlyList<string> reviewerRoleNames = [];
        if (caller is not null)
        {
            (reviewerName, reviewerRoleNames, _) = await CurrentRolesAndTraitsAsync(caller, ct).ConfigureAwait(false);
            await RequireNotLockedAsync(reviewerName, reviewerRoleNames, clientAddr, ct).ConfigureAwait(false);
            reviewerRoles = await ResolveRolesAsync(reviewerRoleNames, ct).ConfigureAwait(false);
        }

        for (var attempt = 0; attempt < MaxReviewAttempts; attempt++)
        {
            var (record, revision) = await LoadAccessRequestAsync(id, ct).ConfigureAwait(false);
            var before = record.State;
            record = await ExpireIfDueAsync(record, revision, ct).ConfigureAwait(false);
            if (record.State != before)
            {
                (record, revision) = await LoadAccessRequestAsync(id, ct).ConfigureAwait(false);
            }

            if (reviewerRoles is not null && !MayReview(reviewerRoles, reviewerName, record, out var problem))
            {
                throw AuthException.Forbidden(problem!);
            }

            if (record.State != AccessRequestStates.Pending)
            {
                throw AuthException.Conflict($"access request {record.Id} is {record.State}, not pending: only a pending request can be reviewed");
            }

            if (record.Reviews.Any(r => r.Reviewer == reviewerName))
            {
                throw AuthException.Conflict($"you already reviewed access request {record.Id}: each reviewer counts once");
            }

            var now = Now;
            record.Reviews.Add(new AccessRequestReviewRecord { Reviewer = reviewerName, Decision = review.Approve ? "approve" : "deny", Reason = reason, Time = now });
            var decision = caller is null
                ? (review.Approve ? AccessRequestDecision.Approved : AccessRequestDecision.Denied)
                : AccessRequestRules.Decide(
                    [.. record.Thresholds.Select(set => (IReadOnlyList<RequestThreshold>)[.. set.Select(t => new RequestThreshold(t.Approve, t.Deny, null))])],
                    record.Reviews.Count(r => r.Decision == "approve"),
                    record.Reviews.Count(r => r.Decision == "deny"));
            if (decision == AccessRequestDecision.Approved)
            {
                record.State = AccessRequestStates.Approved;
                record.AccessExpires = now + TimeSpan.FromSeconds(record.DurationSeconds);
                record.Resolution = reason.Length > 0 ? reason : null;
            }
            else if (decision == AccessRequestDecision.Denied)
            {
                record.State = AccessRequestStates.Denied;
                record.Resolution = reason.Length > 0 ? reason : null;
            }

            if (await Backend.CompareAndSwapAsync(BackendKeys.AccessRequest(record.Id), revision, record, StorageJsonContext.Default.AccessRequestRecord, RetentionOf(record, now), ct).ConfigureAwait(false) is null)
            {
                continue; // another review or a drop won the race: read again
            }

            var details = new Dictionary<string, string> { ["reviewer"] = reviewerName, ["decision"] = review.Approve ? "approve" : "deny", ["review_reason"] = reason, ["state"] = record.State };
            AccessRequestEvent(AuditEventKinds.AccessRequestReview, reviewerName, record, clientAddr, details, reviewerRoleNames);
            FerryMetrics.AccessRequest("review");
            AuthLog.AccessRequestReviewed(_log, record.Id, reviewerName, review.Approve ? "approve" : "deny", record.State);
            if (decision == AccessRequestDecision.Approved)
            {
                AccessRequestEvent(AuditEventKinds.AccessRequestGrant, record.User, record, clientAddr, new() { ["reviewer"] = reviewerName, ["access_expires"] = Iso(record.AccessExpires!.Value) });
                FerryMetrics.AccessRequest("grant");
            }
            else if (decision == AccessRequestDecision.Denied)
            {
                AccessRequestEvent(AuditEventKinds.AccessRequestDeny, record.User, record, clientAddr, new() { ["reviewer"] = reviewerName });
                FerryMetrics.AccessRequest("deny");
            }

            var info = ToInfo(record, now);
            _notifier?.Enqueue("access_request.review", info, reviewerName);
            return info;
        }

        throw new AuthException(409, $"access request {id} is being changed by others right now: try again");
    }

    /// <summary>
    /// <c>POST /v1/access-requests/{id}/drop</c>: the requester (or, with a null <paramref name="caller"/>, the operator)
    /// withdraws a pending request or ends an approved grant early; a grant ends through a lock of kind
    /// <c>access_request</c> on the id until the grant's end, which ends live sessions that use it.
    /// </summary>
    public async Task<AccessRequestInfo> DropAccessRequestAsync(UserIdentity? caller, string id, AccessRequestDrop drop, string clientAddr, string? actor = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(drop);
        var who = caller?.User ?? actor ?? "admin";
        try
        {
            var reason = drop.Reason ?? "";
            RequireReason(reason, "reason");
            for (var attempt = 0; attempt < MaxReviewAttempts; attempt++)
            {
                var (record, revision) = await LoadAccessRequestAsync(id, ct).ConfigureAwait(false);
                if (caller is not null && record.User != caller.User)
                {
                    throw AuthException.Forbidden($"access request {record.Id} is {record.User}'s: only the requester or an administrator (`ferryd admin requests drop`) may drop it");
                }

                var now = Now;
                var state = EffectiveState(record, now);
                if (state is not (AccessRequestStates.Pending or AccessRequestStates.Approved))
                {
                    throw AuthException.Conflict($"access request {record.Id} is {state}: only a pending or approved request can be dropped");
                }

                var wasApproved = state == AccessRequestStates.Approved;
                record.State = AccessRequestStates.Dropped;
                record.Resolution = reason.Length > 0 ? reason : "dropped by " + who;
                if (await Backend.CompareAndSwapAsync(BackendKeys.AccessRequest(record.Id), revision, record, StorageJsonContext.Default.AccessRequestRecord, RetentionOf(record, now), ct).ConfigureAwait(false) is null)
                {
                    continue;
                }

                string lockId = "";
                if (wasApproved && record.AccessExpires is { } end && end > now)
                {
                    var l = await AddLockAsync(LockTargetKind.AccessRequest, record.Id, "access request dropped" + (reason.Length > 0 ? ": " + reason : ""), end - now, who, ct).ConfigureAwait(false);
                    lockId = l.Id;
                }

                AccessRequestEvent(AuditEventKinds.AccessRequestDrop, who, record, clientAddr, new() { ["was"] = wasApproved ? "approved" : "pending", ["lock"] = lockId, ["drop_reason"] = reason });
                FerryMetrics.AccessRequest("drop");
                AuthLog.AccessRequestDropped(_log, record.Id, who, wasApproved ? "approved" : "pending");
                return ToInfo(record, now);
            }

            throw new AuthException(409, $"access request {id} is being changed by others right now: try again");
        }
        catch (AuthException e)
        {
            AccessRequestRefused(AuditEventKinds.AccessRequestDropRefused, who, id, e, clientAddr);
            throw;
        }
    }

    /// <summary>
    /// Moves every pending request past <c>pending_ttl</c> and every grant past its end to <c>expired</c> (audited once,
    /// by whoever wins the write). Returns the number of requests still pending. Run by the background sweep; reads
    /// apply the same rule lazily.
    /// </summary>
    public async Task<int> SweepAccessRequestsAsync(CancellationToken ct = default)
    {
        var pending = 0;
        foreach (var (record, revision) in await ListAccessRequestRecordsAsync(ct).ConfigureAwait(false))
        {
            var current = await ExpireIfDueAsync(record, revision, ct).ConfigureAwait(false);
            if (current.State == AccessRequestStates.Pending)
            {
                pending++;
            }
        }

        Volatile.Write(ref _accessRequestsPending, pending);
        return pending;
    }

    private int _accessRequestsPending;

    /// <summary>Pending requests at the last sweep (the <c>ferry_access_requests_pending</c> gauge).</summary>
    public int AccessRequestsPending => Volatile.Read(ref _accessRequestsPending);

    /// <summary>
    /// The approved, unexpired, unlocked requests of <paramref name="user"/> named by <paramref name="ids"/>; any other
    /// id is refused (403 naming it).
    /// </summary>
    private async Task<List<AccessRequestRecord>> ActiveGrantsAsync(string user, IReadOnlyList<string> ids, CancellationToken ct)
    {
        if (ids.Count > MaxAccessRequestIdsPerCertificate)
        {
            throw AuthException.BadRequest($"at most {MaxAccessRequestIdsPerCertificate} access requests per certificate");
        }

        var grants = new List<AccessRequestRecord>();
        if (ids.Count == 0)
        {
            return grants;
        }

        var locks = await ListLocksAsync(ct).ConfigureAwait(false);
        var now = Now;
        foreach (var id in ids)
        {
            var found = await FindAccessRequestAsync(id, ct).ConfigureAwait(false);
            if (found is not { } f || f.Record.User != user)
            {
                throw AuthException.Forbidden($"access request {Bounded(id)} is not one of yours: check the id with `ferry request ls`");
            }

            var record = await ExpireIfDueAsync(f.Record, f.Revision, ct).ConfigureAwait(false);
            if (record.State != AccessRequestStates.Approved)
            {
                throw AuthException.Forbidden($"access request {record.Id} is {record.State}, not approved: " + (record.State == AccessRequestStates.Pending
                    ? "wait for a reviewer (`ferry request show " + record.Id + "`)"
                    : "run `ferry login` without it, or create a new request"));
            }

            if (locks.FirstOrDefault(l => l.Kind == LockTargetKind.AccessRequest && l.Target == record.Id && (l.ExpiresAt is null || l.ExpiresAt > now)) is { } locked)
            {
                throw AuthException.Forbidden($"access request {record.Id} is locked: {locked.Message ?? "ask an administrator"}");
            }

            grants.Add(record);
        }

        return grants;
    }

    /// <summary>
    /// The requests <paramref name="presented"/> names, loaded without checks; used to tell an SSO user's own roles from
    /// those an elevated certificate added.
    /// </summary>
    private async Task<List<AccessRequestRecord>> NamedRequestsAsync(IReadOnlyList<string> ids, CancellationToken ct)
    {
        var list = new List<AccessRequestRecord>();
        foreach (var id in ids.Take(MaxAccessRequestIdsPerCertificate))
        {
            if (await FindAccessRequestAsync(id, ct).ConfigureAwait(false) is { } f)
            {
                list.Add(f.Record);
            }
        }

        return list;
    }

    private static bool MayReview(IReadOnlyList<RoleDocument> reviewerRoles, string reviewer, AccessRequestRecord record, out string? problem)
    {
        var context = new RequestPredicateContext
        {
            User = record.User,
            Roles = record.Roles,
            Resources = record.Resources,
            Reason = record.Reason,
            SuggestedReviewers = record.SuggestedReviewers,
            ReviewerUser = reviewer,
            ReviewerRoles = reviewerRoles.Select(r => r.Name).ToArray(),
        };
        return AccessRequestRules.CanReview(reviewerRoles, context, out problem);
    }

    /// <summary>The search_as_roles of the requester that can see each database; refuses a database none reaches.</summary>
    private async Task<string[]> RolesReachingAsync(IReadOnlyList<RoleDocument> requesterRoles, IReadOnlyList<string> resources, IReadOnlyDictionary<string, IReadOnlyList<string>> traits, CancellationToken ct)
    {
        var searchAs = AccessRequestRules.SearchAsRoles(requesterRoles);
        if (searchAs.Count == 0)
        {
            throw AuthException.Forbidden("your roles do not let you request databases (they need allow.request.search_as_roles): request roles with --roles instead, or ask an administrator");
        }

        var documents = await ResolveRolesAsync(searchAs, ct).ConfigureAwait(false);
        var reaching = new List<string>();
        foreach (var resource in resources)
        {
            var name = resource[RbacEvaluator.DatabaseResourcePrefix.Length..];
            // The binding holds the labels its agent last registered (what RBAC for the database's certificates reads).
            var binding = await Backend.GetAsync(BackendKeys.DatabaseBinding(name), StorageJsonContext.Default.DatabaseBinding, ct).ConfigureAwait(false)
                ?? throw AuthException.NotFound($"database \"{name}\" is not registered by any agent: check the name (`ferry db ls` lists what you can already reach)");
            var target = new DatabaseTarget(binding.Name, binding.Labels);
            var found = documents.Where(d => new RbacEvaluator([d], traits).CanSee(target).Allowed).Select(d => d.Name).ToArray();
            if (found.Length == 0)
            {
                throw AuthException.Forbidden($"{resource} is not reachable through your allow.request.search_as_roles ({string.Join(", ", searchAs)}): ask an administrator");
            }

            reaching.AddRange(found);
        }

        return [.. reaching.Distinct(StringComparer.Ordinal)];
    }

    /// <summary>Stores the expiry of a due request (audited once) and returns the current record.</summary>
    private async Task<AccessRequestRecord> ExpireIfDueAsync(AccessRequestRecord record, long revision, CancellationToken ct)
    {
        var now = Now;
        var state = EffectiveState(record, now);
        if (state == record.State)
        {
            return record;
        }

        var was = record.State;
        record.State = state;
        record.Resolution ??= was == AccessRequestStates.Pending ? "not reviewed within pending_ttl" : "the grant ended";
        if (await Backend.CompareAndSwapAsync(BackendKeys.AccessRequest(record.Id), revision, record, StorageJsonContext.Default.AccessRequestRecord, RetentionOf(record, now), ct).ConfigureAwait(false) is not null)
        {
            AccessRequestEvent(AuditEventKinds.AccessRequestExpire, record.User, record, null, new() { ["was"] = was });
            FerryMetrics.AccessRequest("expire");
            AuthLog.AccessRequestExpired(_log, record.Id, record.User, was);
            return record;
        }

        return (await FindAccessRequestAsync(record.Id, ct).ConfigureAwait(false))?.Record ?? record;
    }

    private static string EffectiveState(AccessRequestRecord record, DateTimeOffset now) => record.State switch
    {
        AccessRequestStates.Pending when now >= record.PendingExpires => AccessRequestStates.Expired,
        AccessRequestStates.Approved when record.AccessExpires is { } end && now >= end => AccessRequestStates.Expired,
        _ => record.State,
    };

    private static TimeSpan RetentionOf(AccessRequestRecord record, DateTimeOffset now)
    {
        var end = record.State switch
        {
            AccessRequestStates.Pending => record.PendingExpires,
            AccessRequestStates.Approved => record.AccessExpires ?? now,
            _ => now,
        };
        var ttl = end - now + AccessRequestRecord.Retain;
        return ttl > TimeSpan.Zero ? ttl : AccessRequestRecord.Retain;
    }

    private async Task<List<(AccessRequestRecord Record, long Revision)>> ListAccessRequestRecordsAsync(CancellationToken ct)
    {
        var items = await Backend.RangeAsync(BackendKeys.AccessRequests, ct).ConfigureAwait(false);
        var list = new List<(AccessRequestRecord, long)>(items.Count);
        foreach (var item in items)
        {
            if (System.Text.Json.JsonSerializer.Deserialize(item.Value, StorageJsonContext.Default.AccessRequestRecord) is { } r)
            {
                list.Add((r, item.Revision));
            }
        }

        return list;
    }

    private async Task<(AccessRequestRecord Record, long Revision)?> FindAccessRequestAsync(string id, CancellationToken ct)
    {
        if (!IsRequestId(id))
        {
            return null;
        }

        return await Backend.GetWithRevisionAsync(BackendKeys.AccessRequest(id), StorageJsonContext.Default.AccessRequestRecord, ct).ConfigureAwait(false);
    }

    private async Task<(AccessRequestRecord Record, long Revision)> LoadAccessRequestAsync(string id, CancellationToken ct)
    {
        if (!IsRequestId(id))
        {
            throw AuthException.BadRequest($"\"{Bounded(id ?? "")}\" is not an access request id (a UUID such as 3f0c…): see `ferry request ls`");
        }

        return await FindAccessRequestAsync(id, ct).ConfigureAwait(false) ?? throw NotFoundRequest(id);
    }

    private static AuthException NotFoundRequest(string id) =>
        AuthException.NotFound($"access request {Bounded(id)} does not exist (or has ended more than {AccessRequestRecord.Retain.TotalDays:0} days ago, or is not yours to see): see `ferry request ls`");

    /// <summary>A canonical lower-case UUID (36 characters).</summary>
    internal static bool IsRequestId(string? id) =>
        id is { Length: 36 } && Guid.TryParseExact(id, "D", out var g) && string.Equals(g.ToString("D"), id, StringComparison.Ordinal);

    private static string NewRequestId()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40); // version 4
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes, bigEndian: true).ToString("D");
    }

    private static void RequireCount(List<string> values, string what)
    {
        if (values.Count > MaxAccessRequestItems)
        {
            throw AuthException.BadRequest($"at most {MaxAccessRequestItems} {what} per request");
        }
    }

    private static void RequireReason(string reason, string what)
    {
        if (Encoding.UTF8.GetByteCount(reason) > MaxAccessRequestReasonBytes)
        {
            throw AuthException.BadRequest($"{what} is longer than {MaxAccessRequestReasonBytes} bytes: put the details in a ticket and give its id");
        }

        if (reason.Any(c => char.IsControl(c) && c is not ('\n' or '\t')))
        {
            throw AuthException.BadRequest($"{what} contains control characters");
        }
    }

    private static string Iso(DateTimeOffset time) => time.ToString("O", CultureInfo.InvariantCulture);

    private void AccessRequestEvent(AuditEventKind kind, string user, AccessRequestRecord record, string? clientAddr, Dictionary<string, string> details, IReadOnlyList<string>? roles = null)
    {
        details["id"] = record.Id;
        details["requester"] = record.User;
        details["requested_roles"] = string.Join(",", record.Roles);
        details["resources"] = string.Join(",", record.Resources);
        details["reason"] = record.Reason;
        details["state"] = record.State;
        Emit(kind, user, true, null, clientAddr, details, roles);
    }

    private void AccessRequestRefused(AuditEventKind kind, string user, string id, AuthException e, string? clientAddr)
    {
        var reason = e.StatusCode switch { 400 => "invalid", 403 => "forbidden", 404 => "not_found", 409 => "conflict", 429 => "throttled", _ => "error" };
        Emit(kind, user, false, e.Message, clientAddr, new() { ["id"] = Bounded(id), ["reason"] = reason });
        FerryMetrics.AccessRequest("refused_" + reason);
        AuthLog.AccessRequestRefused(_log, kind.Type, Bounded(user), reason, e.Message);
    }

    internal static AccessRequestInfo ToInfo(AccessRequestRecord r, DateTimeOffset now) => new()
    {
        Id = r.Id,
        User = r.User,
        Roles = [.. r.Roles],
        Resources = [.. r.Resources],
        Reason = r.Reason,
        State = EffectiveState(r, now),
        Created = r.Created,
        PendingExpires = r.PendingExpires,
        DurationSeconds = r.DurationSeconds,
        AccessExpires = r.AccessExpires,
        SuggestedReviewers = [.. r.SuggestedReviewers],
        Reviews = [.. r.Reviews.Select(v => new AccessRequestReviewInfo { Reviewer = v.Reviewer, Decision = v.Decision, Reason = v.Reason, Time = v.Time })],
        Resolution = r.Resolution,
    };
}
