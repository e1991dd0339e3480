using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ferry.Audit;
using Ferry.Auth.Backend;
using Ferry.Auth.Hosts;
using Ferry.Auth.Model;
using Ferry.Contracts;
using Ferry.Identity;
using Ferry.Rbac;

namespace Ferry.Auth;

public sealed partial class AuthService
{
    /// <summary>
    /// <c>POST /v1/db-certs</c>: a db-client certificate (CN = db user) for a registered agent. Issued only when
    /// <list type="bullet">
    /// <item>the database is bound to this agent (it registered the name first, see <see cref="RegisterAgentDatabasesAsync(HostIdentity, AgentDatabasesReport, string, CancellationToken)"/>),</item>
    /// <item>the request carries a user certificate that verifies now (signature, expiry) whose user, roles and the
    /// database no lock covers,</item>
    /// <item>and the user's roles allow the db user (and db name) on that database with the labels the agent registered.</item>
    /// </list>
    /// So a stolen agent credential reaches only the db users that the users whose certificates pass through that
    /// agent may use, on the databases that agent serves. Refusals are audited (<c>TC000W</c>), logged and counted.
    /// </summary>
    public async Task<DbCertificateResponse> IssueDbClientCertificateAsync(HostIdentity agent, DbCertificateRequest request, string clientAddr, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(request);
        if (agent.Role != HostRole.Agent)
        {
            throw AuthException.Forbidden("only agents may request db-client certificates");
        }

        Names.Require(request.Database, "database");
        if (string.IsNullOrEmpty(request.DbUser) || request.DbUser.Length > 128 || (request.DbName ?? "").Length > 128)
        {
            throw AuthException.BadRequest("db_user must be 1-128 characters and db_name at most 128");
        }

        var key = ParsePublicKey(request.PublicKeyPem);
        if (request.Purpose == DbCertificateRequest.HealthCheckPurpose)
        {
            await AuthorizeHealthCheckCertificateAsync(agent.HostId, request, clientAddr, ct).ConfigureAwait(false);
            var probe = Translate(() => Issuer.IssueDbClientCertificate(key, request.DbUser, _options.HealthCheckCertificateTtl));
            Emit(AuditEventKinds.CertIssue, null, true, null, clientAddr,
                new() { ["kind"] = "db-client", ["purpose"] = DbCertificateRequest.HealthCheckPurpose, ["agent"] = agent.HostId, ["database"] = request.Database, ["db_user"] = request.DbUser });
            return new DbCertificateResponse
            {
                CertificatePem = probe.ToPem() + "\n",
                DbClientCaPem = Authority.ExportTrustedRootsPem(CaKind.DbClient),
                Expires = probe.NotAfter,
            };
        }
        if (request.Purpose.Length > 0)
        {
            throw AuthException.BadRequest($"purpose must be empty (a session) or \"{DbCertificateRequest.HealthCheckPurpose}\"");
        }

        var user = await AuthorizeDbClientCertificateAsync(agent.HostId, request, clientAddr, ct).ConfigureAwait(false);
        var certificate = Translate(() => Issuer.IssueDbClientCertificate(key, request.DbUser, _options.DbClientCertificateTtl));
        Emit(AuditEventKinds.CertIssue, user.User, true, null, clientAddr,
            new() { ["kind"] = "db-client", ["agent"] = agent.HostId, ["database"] = request.Database, ["db_user"] = request.DbUser }, user.Roles);
        return new DbCertificateResponse
        {
            CertificatePem = certificate.ToPem() + "\n",
            DbClientCaPem = Authority.ExportTrustedRootsPem(CaKind.DbClient),
            Expires = certificate.NotAfter,
        };
    }

    /// <summary>
    /// The checks of <see cref="IssueDbClientCertificateAsync"/> for agent <paramref name="agentId"/> (also used in-process
    /// by the all-in-one agent). Returns the verified user; throws 403 (audited) when the certificate may not be issued.
    /// </summary>
    internal async Task<UserIdentity> AuthorizeDbClientCertificateAsync(string agentId, DbCertificateRequest request, string clientAddr, CancellationToken ct)
    {
        UserIdentity? user = null;
        string? reason;
        var binding = await Backend.GetAsync(BackendKeys.DatabaseBinding(request.Database), StorageJsonContext.Default.DatabaseBinding, ct).ConfigureAwait(false);
        if (binding is null || !binding.Serves(agentId))
        {
            reason = binding is null
                ? $"database \"{request.Database}\" is not registered by any agent"
                : $"database \"{request.Database}\" is served by another agent";
        }
        else
        {
            (user, reason) = VerifyForwardedUser(request.UserCertificatePem);
            if (user is not null)
            {
                reason = await DbAccessDenialAsync(user, binding, request, ct).ConfigureAwait(false);
            }
        }

        if (reason is null)
        {
            return user!;
        }

        HostRefusals.Count(HostRefusals.DbCertDenied, agentId);
        HostAccessLog.DbCertificateRefused(HostRefusals.Log, agentId, request.Database, request.DbUser, reason);
        Emit(AuditEventKinds.CertIssueDenied, user?.User, false, reason, clientAddr,
            new() { ["kind"] = "db-client", ["host_id"] = agentId, ["database"] = request.Database, ["db_user"] = request.DbUser }, user?.Roles);
        throw AuthException.Forbidden("db-client certificate refused: " + reason);
    }

    /// <summary>
    /// The checks for a health-probe certificate (no user session): the database is bound to this agent and the db user is
    /// one the auth service's own configuration names (<c>auth.health_check_users</c>). The agent cannot choose the name:
    /// a db-client certificate logs in on every database that trusts the db-client CA, so only an account the operator
    /// created for probing (no privileges) may be issued this way. Refusals are audited, logged and counted like others.
    /// </summary>
    internal async Task AuthorizeHealthCheckCertificateAsync(string agentId, DbCertificateRequest request, string clientAddr, CancellationToken ct)
    {
        string? reason;
        var binding = await Backend.GetAsync(BackendKeys.DatabaseBinding(request.Database), StorageJsonContext.Default.DatabaseBinding, ct).ConfigureAwait(false);
        if (binding is null || !binding.Serves(agentId))
        {
            reason = binding is null
                ? $"database \"{request.Database}\" is not registered by any agent"
                : $"database \"{request.Database}\" is served by another agent";
        }
        else
        {
            reason = _options.HealthCheckUsers.Contains(request.DbUser, StringComparer.Ordinal)
                ? null
                : $"db user \"{request.DbUser}\" is not a health-check user: list it in auth.health_check_users on the auth service (an account with no privileges)";
        }

        if (reason is null)
        {
            return;
        }

        HostRefusals.Count(HostRefusals.DbCertDenied, agentId);
        HostAccessLog.DbCertificateRefused(HostRefusals.Log, agentId, request.Database, request.DbUser, reason);
        Emit(AuditEventKinds.CertIssueDenied, null, false, reason, clientAddr,
            new() { ["kind"] = "db-client", ["purpose"] = DbCertificateRequest.HealthCheckPurpose, ["host_id"] = agentId, ["database"] = request.Database, ["db_user"] = request.DbUser });
        throw AuthException.Forbidden("db-client certificate refused: " + reason);
    }

    private (UserIdentity? User, string? Reason) VerifyForwardedUser(string? pem)
    {
        if (string.IsNullOrWhiteSpace(pem) || pem.Length > 16 * 1024)
        {
            return (null, "no user certificate came with the request: the agent must forward the session's user certificate");
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(pem);
        }
        catch (CryptographicException)
        {
            return (null, "the forwarded user certificate is not a PEM certificate");
        }

        using (certificate)
        {
            var verified = UserVerifier.VerifyUser(certificate);
            return verified.IsValid ? (verified.Identity, null) : (null, "the forwarded user certificate is not valid: " + verified.Message);
        }
    }

    private async Task<string?> DbAccessDenialAsync(UserIdentity user, DatabaseBinding binding, DbCertificateRequest request, CancellationToken ct)
    {
        var now = Now;
        foreach (var l in await ListLocksAsync(ct).ConfigureAwait(false))
        {
            if (l.Covers(user.User, user.Roles, request.Database, now))
            {
                return l.Describe();
            }
        }

        var rbac = new RbacEvaluator(await ResolveRolesAsync(user.Roles, ct).ConfigureAwait(false), user.Traits);
        var decision = rbac.Check(new DatabaseTarget(binding.Name, binding.Labels), request.DbUser, request.DbName ?? "");
        return decision.Allowed ? null : $"user \"{user.User}\" may not use db user \"{request.DbUser}\" on \"{request.Database}\": {decision.Reason}";
    }
}
