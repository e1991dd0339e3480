using System.Globalization;
using Ferry.Audit;
using Ferry.Auth.Backend;
using Ferry.Auth.Hosts;
using Ferry.Auth.Model;
using Ferry.Contracts;
using Ferry.Diagnostics;
using Ferry.Identity;

namespace Ferry.Auth;

public sealed partial class AuthService
{
    /// <summary>At most this many entries per egress report.</summary>
    public const int MaxEgressEntries = 1000;

    /// <summary>Longest egress window (<c>per</c>).</summary>
    public static readonly TimeSpan MaxEgressWindow = TimeSpan.FromDays(366);

    private const long MaxEgressDelta = 1L << 50;

    /// <summary>
    /// <c>POST /v1/egress</c> (agent host certificate only): adds each entry's rows and bytes to the user × database ×
    /// window total in the backend (compare-and-swap, so concurrent agents add up) and answers the totals. Windows are
    /// fixed: <c>per</c>-long slices of time since the Unix epoch, so every agent and auth server agrees where one ends.
    /// The first report that takes a total over a limit is audited (<c>egress.exceeded</c>) and counted.
    /// </summary>
    public async Task<EgressReportResponse> ReportEgressAsync(HostIdentity agent, EgressReport report, string clientAddr, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(report);
        if (agent.Role != HostRole.Agent)
        {
            throw AuthException.Forbidden("only agents report egress usage");
        }

        var bindings = await DatabaseBindingsAsync(ct).ConfigureAwait(false);
        var foreign = report.Usage.FirstOrDefault(u => !(bindings.TryGetValue(u.Database, out var owners) && owners.Contains(agent.HostId)));
        if (foreign is not null)
        {
            ReportRefused(HostRefusals.AuditEventsRefused, "agent", agent.HostId, "egress usage", 1, "", clientAddr, $"database \"{Bounded(foreign.Database)}\" is not served by this agent");
            throw AuthException.Forbidden($"database \"{Bounded(foreign.Database)}\" is not served by this agent");
        }

        return await AddEgressAsync(agent.HostId, report, ct).ConfigureAwait(false);
    }

    /// <summary>The in-process agent of <c>ferryd --all-in-one</c> reports here directly.</summary>
    public async Task<EgressReportResponse> AddEgressAsync(string agentId, EgressReport report, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (report.Usage.Count > MaxEgressEntries)
        {
            throw AuthException.BadRequest($"at most {MaxEgressEntries} entries per egress report");
        }

        foreach (var u in report.Usage)
        {
            if (u.User.Length is 0 or > 256 || !IsDatabaseName(u.Database) || u.PerSeconds < 1 || u.PerSeconds > (long)MaxEgressWindow.TotalSeconds
                || u.Rows is < 0 or > MaxEgressDelta || u.Bytes is < 0 or > MaxEgressDelta || u.RowsLimit < 0 || u.BytesLimit < 0)
            {
                throw AuthException.BadRequest("egress entry out of range (user 1-256 characters, a database name, per 1s-366d, counts 0-2^50)");
            }

            if (!IsEgressGrant(u.Grant))
            {
                throw AuthException.BadRequest($"egress grant must be up to {MaxAccessRequestIdsPerCertificate} access request ids, sorted, distinct and comma-separated");
            }
        }

        var response = new EgressReportResponse();
        foreach (var u in report.Usage)
        {
            response.Usage.Add(await AddEgressAsync(agentId, u, ct).ConfigureAwait(false));
        }

        return response;
    }

    private async Task<EgressUsageTotal> AddEgressAsync(string agentId, EgressUsageDelta u, CancellationToken ct)
    {
        var now = Now;
        var window = now.ToUnixTimeSeconds() / u.PerSeconds;
        var start = DateTimeOffset.FromUnixTimeSeconds(window * u.PerSeconds);
        var end = start.AddSeconds(u.PerSeconds);
        var total = new EgressUsageTotal { User = u.User, Database = u.Database, PerSeconds = u.PerSeconds, Grant = u.Grant, WindowStart = start, WindowEnd = end };
        var key = BackendKeys.EgressUsage(u.User, u.Database, u.PerSeconds, window, u.Grant);
        for (var attempt = 0; attempt < 16; attempt++)
        {
            var current = await Backend.GetWithRevisionAsync(key, StorageJsonContext.Default.EgressUsageRecord, ct).ConfigureAwait(false);
            var record = current?.Value ?? new EgressUsageRecord { User = u.User, Database = u.Database, PerSeconds = u.PerSeconds, WindowStart = start };
            if (u.Rows == 0 && u.Bytes == 0)
            {
                total.Rows = record.Rows;
                total.Bytes = record.Bytes;
                return total;
            }

            record.Rows = Math.Min(record.Rows + u.Rows, long.MaxValue / 2);
            record.Bytes = Math.Min(record.Bytes + u.Bytes, long.MaxValue / 2);
            var crossed = !record.Exceeded && ((u.RowsLimit is { } rl && record.Rows > rl) || (u.BytesLimit is { } bl && record.Bytes > bl));
            record.Exceeded |= crossed;
            var ttl = end - now + TimeSpan.FromHours(1);
            if (await Backend.CompareAndSwapAsync(key, current?.Revision ?? 0, record, StorageJsonContext.Default.EgressUsageRecord, ttl, ct).ConfigureAwait(false) is null)
            {
                continue;
            }

            total.Rows = record.Rows;
            total.Bytes = record.Bytes;
            if (crossed)
            {
                EgressMetrics.Crossed(u.Database);
                AuthLog.EgressBudgetExceeded(_log, u.User, u.Database, record.Rows, record.Bytes, u.PerSeconds);
                Emit(AuditEventKinds.EgressBudgetExceeded, u.User, false, "egress budget spent until " + end.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), details: new()
                {
                    ["database"] = u.Database,
                    ["rows"] = record.Rows.ToString(CultureInfo.InvariantCulture),
                    ["bytes"] = record.Bytes.ToString(CultureInfo.InvariantCulture),
                    ["rows_limit"] = u.RowsLimit?.ToString(CultureInfo.InvariantCulture) ?? "",
                    ["bytes_limit"] = u.BytesLimit?.ToString(CultureInfo.InvariantCulture) ?? "",
                    ["per"] = u.PerSeconds.ToString(CultureInfo.InvariantCulture) + "s",
                    ["window_end"] = end.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
                    ["agent"] = agentId,
                    ["access_request_ids"] = u.Grant,
                });
            }

            return total;
        }

        throw AuthException.Conflict("egress usage is being updated concurrently; try again");
    }

    /// <summary>Empty, or up to <see cref="MaxAccessRequestIdsPerCertificate"/> access request ids, sorted (ordinal), distinct, comma-separated.</summary>
    private static bool IsEgressGrant(string? grant)
    {
        if (string.IsNullOrEmpty(grant))
        {
            return grant is not null;
        }

        if (grant.Length > MaxAccessRequestIdsPerCertificate * 37)
        {
            return false;
        }

        var ids = grant.Split(',');
        if (ids.Length > MaxAccessRequestIdsPerCertificate)
        {
            return false;
        }

        for (var i = 0; i < ids.Length; i++)
        {
            if (!IsRequestId(ids[i]) || (i > 0 && string.CompareOrdinal(ids[i - 1], ids[i]) >= 0))
            {
                return false;
            }
        }

        return true;
    }
}
