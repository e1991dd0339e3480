using System.Security.Cryptography.X509Certificates;
using Ferry.Audit;
using Ferry.Contracts;
using Ferry.Identity;

namespace Ferry.Agent.Hosting;

/// <summary>What the host running an agent role provides: the cluster, the auth service's side, the audit sink and the certificate.</summary>
public sealed class AgentRoleServices
{
    public required string ClusterName { get; init; }

    public required IAgentAuthority Authority { get; init; }

    public required IAuditSink Audit { get; init; }

    /// <summary>Roots for databases' server certificates when an entry names no <c>tls.ca_file</c>.</summary>
    public required string DbClientCaPem { get; init; }

    /// <summary>The agent's host certificate of the moment.</summary>
    public required Func<X509Certificate2> Certificate { get; init; }

    /// <summary>The cluster's host CA: proxies are checked against it.</summary>
    public required IdentityVerifier HostVerifier { get; init; }

    /// <summary>Registers the agent's databases with the auth service (see <see cref="DatabaseRegistrar"/>).</summary>
    public required Func<AgentDatabasesReport, CancellationToken, Task<AgentDatabasesResponse>> RegisterDatabases { get; init; }

    /// <summary>Reports the live sessions to the auth service (<see cref="LiveSessionReporter"/>); none: not reported.</summary>
    public Func<LiveSessionsReport, CancellationToken, Task>? ReportLiveSessions { get; init; }

    /// <summary>Exchanges egress usage with the auth service (<see cref="EgressBudgetClient"/>); none: budgets are not enforced.</summary>
    public Func<EgressReport, CancellationToken, Task<EgressReportResponse>>? ExchangeEgress { get; init; }

    /// <summary>The message of a lock of kind <c>session</c> naming a session id (<c>ferry sessions end</c>); null when none.</summary>
    public Func<string, string?>? SessionLock { get; init; }
}
