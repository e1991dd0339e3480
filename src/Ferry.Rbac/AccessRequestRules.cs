namespace Ferry.Rbac;

/// <summary>
/// The access-request rules of role YAML: who may ask for what (<c>allow.request</c>), who may review what
/// (<c>allow.review_requests</c>, <c>options.self_approval</c>), and how thresholds decide a request.
/// </summary>
public static class AccessRequestRules
{
    /// <summary>
    /// Plans a request for <paramref name="roles"/> by a holder of <paramref name="requesterRoles"/>: every asked-for role
    /// must match one of the requester's <c>allow.request.roles</c>. Returns null and the reason when one does not.
    /// </summary>
    public static AccessRequestPlan? PlanRoleRequest(IReadOnlyList<RoleDocument> requesterRoles, IReadOnlyList<string> roles, RequestPredicateContext request, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(requesterRoles);
        ArgumentNullException.ThrowIfNull(roles);
        var perRole = new List<IReadOnlyList<RequestRules>>();
        foreach (var role in roles)
        {
            var rules = RulesOf(requesterRoles).Where(r => r.Roles.Any(p => Glob.IsMatch(p, role))).ToArray();
            if (rules.Length == 0)
            {
                var requestable = RulesOf(requesterRoles).SelectMany(r => r.Roles).Distinct(StringComparer.Ordinal).ToArray();
                problem = $"role \"{role}\" is not requestable with your roles (allow.request.roles: {(requestable.Length == 0 ? "none" : string.Join(", ", requestable))})";
                return null;
            }

            perRole.Add(rules);
        }

        problem = null;
        return Plan(roles, perRole, request);
    }

    /// <summary>
    /// Plans a request for resources granted through <paramref name="searchAsRoles"/> (the roles, among the requester's
    /// <c>allow.request.search_as_roles</c>, that reach the resources; the caller picks them).
    /// </summary>
    public static AccessRequestPlan PlanResourceRequest(IReadOnlyList<RoleDocument> requesterRoles, IReadOnlyList<string> searchAsRoles, RequestPredicateContext request)
    {
        ArgumentNullException.ThrowIfNull(searchAsRoles);
        var perRole = searchAsRoles
            .Select(role => (IReadOnlyList<RequestRules>)RulesOf(requesterRoles).Where(r => r.SearchAsRoles.Contains(role, StringComparer.Ordinal)).ToArray())
            .ToList();
        return Plan(searchAsRoles, perRole, request);
    }

    /// <summary>The <c>search_as_roles</c> of every <c>allow.request</c> of <paramref name="requesterRoles"/>.</summary>
    public static IReadOnlyList<string> SearchAsRoles(IReadOnlyList<RoleDocument> requesterRoles) =>
        RulesOf(requesterRoles).SelectMany(r => r.SearchAsRoles).Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>
    /// Whether a holder of <paramref name="reviewerRoles"/> may review <paramref name="request"/> (its
    /// <see cref="RequestPredicateContext.ReviewerUser"/> and <see cref="RequestPredicateContext.ReviewerRoles"/> filled in):
    /// every requested role must match the <c>roles</c> of one of the reviewer's <c>allow.review_requests</c> whose
    /// <c>where</c> holds, and one's own request needs a role with <c>options.self_approval: true</c>.
    /// </summary>
    public static bool CanReview(IReadOnlyList<RoleDocument> reviewerRoles, RequestPredicateContext request, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(reviewerRoles);
        ArgumentNullException.ThrowIfNull(request);
        var rules = reviewerRoles.Select(r => r.Allow.ReviewRequests).OfType<ReviewRules>().ToArray();
        if (rules.Length == 0)
        {
            problem = "your roles do not allow reviewing access requests (they need allow.review_requests)";
            return false;
        }

        foreach (var role in request.Roles)
        {
            if (!rules.Any(r => r.Roles.Any(p => Glob.IsMatch(p, role)) && (r.Where is null || r.Where.Evaluate(request))))
            {
                problem = $"your roles do not allow reviewing requests for role \"{role}\" (allow.review_requests.roles and where)";
                return false;
            }
        }

        if (string.Equals(request.ReviewerUser, request.User, StringComparison.Ordinal) && !reviewerRoles.Any(r => r.Options.SelfApproval))
        {
            problem = "you cannot review your own access request: ask another reviewer (a role with options.self_approval: true would allow it)";
            return false;
        }

        problem = null;
        return true;
    }

    /// <summary>
    /// Decides a request from its review counts: denied as soon as, for some granted role, one of its thresholds has
    /// its denials; approved when every granted role has a threshold whose approvals are met; else still pending.
    /// </summary>
    public static AccessRequestDecision Decide(IReadOnlyList<IReadOnlyList<RequestThreshold>> thresholds, int approvals, int denials)
    {
        ArgumentNullException.ThrowIfNull(thresholds);
        if (thresholds.Any(set => Effective(set).Any(t => denials >= t.Deny)))
        {
            return AccessRequestDecision.Denied;
        }

        return thresholds.Count > 0 && thresholds.All(set => Effective(set).Any(t => approvals >= t.Approve))
            ? AccessRequestDecision.Approved
            : AccessRequestDecision.Pending;
    }

    private static IReadOnlyList<RequestThreshold> Effective(IReadOnlyList<RequestThreshold> set) => set.Count == 0 ? [RequestThreshold.Default] : set;

    private static IEnumerable<RequestRules> RulesOf(IReadOnlyList<RoleDocument> roles) =>
        roles.Select(r => r.Allow.Request).OfType<RequestRules>();

    private static AccessRequestPlan Plan(IReadOnlyList<string> roles, List<IReadOnlyList<RequestRules>> perRole, RequestPredicateContext request)
    {
        var all = perRole.SelectMany(r => r).Distinct().ToArray();
        var thresholds = perRole
            .Select(rules => (IReadOnlyList<RequestThreshold>)rules
                .SelectMany(r => r.Thresholds.Count == 0 ? [RequestThreshold.Default] : r.Thresholds)
                .Where(t => t.Filter is null || t.Filter.Evaluate(request))
                .Select(t => t with { Filter = null })
                .Distinct()
                .ToArray())
            .ToArray();
        return new AccessRequestPlan(
            roles,
            all.Length == 0 ? RequestRules.DefaultMaxDuration : all.Min(r => r.EffectiveMaxDuration),
            all.Any(r => r.ReasonRequired),
            all.SelectMany(r => r.SuggestedReviewers).Distinct(StringComparer.Ordinal).ToArray(),
            thresholds);
    }
}
