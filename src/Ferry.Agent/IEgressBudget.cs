using Ferry.Identity;
using Ferry.Rbac;

namespace Ferry.Agent;

/// <summary>
/// Egress budgets (the roles' <c>egress</c> option), shared by every session, agent and proxy through the auth service.
/// Both calls are synchronous and cheap: an implementation answers from what it knows and reports to the auth
/// service in the background.
/// </summary>
public interface IEgressBudget
{
    /// <summary>Null when the user may start a session on the database under <paramref name="limit"/>; else why not, for the client.</summary>
    string? Refusal(UserIdentity identity, string database, EgressLimit limit);

    /// <summary>
    /// Counts what came back to the user (rows and bytes of one statement, or of part of one); null while the budget
    /// holds, else why it is spent: the caller stops the statement and ends the session.
    /// </summary>
    string? Record(UserIdentity identity, string database, EgressLimit limit, long rows, long bytes);
}

/// <summary>No shared budget: nothing is refused (an agent with no auth service to share budgets through).</summary>
public sealed class UnlimitedEgressBudget : IEgressBudget
{
    public static readonly UnlimitedEgressBudget Instance = new();

    public string? Refusal(UserIdentity identity, string database, EgressLimit limit) => null;

    public string? Record(UserIdentity identity, string database, EgressLimit limit, long rows, long bytes) => null;
}
