using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Ferry.Audit;
using Ferry.Contracts;
using Ferry.Auth.Backend;
using Ferry.Auth.Model;
using Ferry.Identity;

namespace Ferry.Auth;

public sealed partial class AuthService
{
    private const string JoinRefused = "join token is invalid, expired or already used: create one with `ferryd admin tokens add`";

    /// <summary>Creates a join token for <paramref name="role"/> (<c>proxy</c> or <c>agent</c>). The secret is in the result only.</summary>
    public async Task<JoinTokenInfo> AddTokenAsync(string role, TimeSpan ttl, bool multiUse, string actor, CancellationToken ct = default)
    {
        if (role is not ("proxy" or "agent"))
        {
            throw AuthException.BadRequest($"token role \"{role}\" is unknown: use proxy or agent");
        }

        if (ttl <= TimeSpan.Zero || ttl > TimeSpan.FromDays(365))
        {
            throw AuthException.BadRequest("token ttl must be between 1s and 365d");
        }

        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var id = TokenId(token);
        var now = Now;
        var record = new JoinTokenRecord { Id = id, Role = role, MultiUse = multiUse, CreatedAt = now, ExpiresAt = now + ttl };
        await Backend.PutAsync(BackendKeys.Token(id), record, StorageJsonContext.Default.JoinTokenRecord, ttl, ct).ConfigureAwait(false);
        Emit(AuditEventKinds.TokenCreate, actor, details: new() { ["token_id"] = ShortId(id), ["role"] = role, ["multi_use"] = multiUse ? "true" : "false" });
        var info = ToInfo(record);
        info.Token = token;
        return info;
    }

    public async Task<List<JoinTokenInfo>> ListTokensAsync(CancellationToken ct = default)
    {
        var records = await Backend.RangeAsync(BackendKeys.Tokens, StorageJsonContext.Default.JoinTokenRecord, ct).ConfigureAwait(false);
        return [.. records.Select(ToInfo)];
    }

    /// <summary>Removes a token given either the secret or its id (a prefix of at least 8 hex digits is enough).</summary>
    public async Task RemoveTokenAsync(string tokenOrId, string actor, CancellationToken ct = default)
    {
        var records = await Backend.RangeAsync(BackendKeys.Tokens, StorageJsonContext.Default.JoinTokenRecord, ct).ConfigureAwait(false);
        var fromSecret = TokenId(tokenOrId);
        var matches = records.Where(r => r.Id == fromSecret || (tokenOrId.Length >= 8 && r.Id.StartsWith(tokenOrId, StringComparison.Ordinal))).ToList();
        if (matches.Count != 1)
        {
            throw matches.Count == 0
                ? AuthException.NotFound($"no join token matches \"{tokenOrId}\": see `tokens ls`")
                : AuthException.Conflict($"\"{tokenOrId}\" matches {matches.Count} tokens: give more digits");
        }

        await Backend.DeleteAsync(BackendKeys.Token(matches[0].Id), ct).ConfigureAwait(false);
        Emit(AuditEventKinds.TokenDelete, actor, details: new() { ["token_id"] = ShortId(matches[0].Id) });
    }

    /// <summary><c>POST /v1/join</c>: consumes the token (once, unless multi-use) and issues a host certificate.</summary>
    public async Task<HostCertificateResponse> JoinAsync(JoinRequest request, string clientAddr, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        Names.Require(request.HostId, "host_id");
        if (!WireNames.TryParseRole(request.Role ?? "", out var role) || role == HostRole.Auth)
        {
            throw AuthException.BadRequest($"role \"{request.Role}\" cannot join: use proxy or agent");
        }

        var key = ParsePublicKey(request.PublicKeyPem);
        var ips = ParseIps(request.Ips);
        if (!await ConsumeTokenAsync(request.Token ?? "", request.Role!, ct).ConfigureAwait(false))
        {
            Emit(AuditEventKinds.HostJoinFailure, null, false, "invalid join token", clientAddr,
                new() { ["host_id"] = request.HostId, ["role"] = request.Role! });
            throw new AuthException(401, JoinRefused);
        }

        var response = IssueHost(key, role, request.HostId, request.DnsNames ?? [], ips);
        var now = Now;
        await Backend.PutAsync(BackendKeys.Host(request.HostId),
            new HostRecord
            {
                HostId = request.HostId, Role = request.Role!, JoinedAt = now, LastCertificateAt = now,
                DnsNames = [.. request.DnsNames ?? []], Address = clientAddr, LastSeenAt = now, CertificateExpires = response.Expires,
            },
            StorageJsonContext.Default.HostRecord, cancellationToken: ct).ConfigureAwait(false);
        Emit(AuditEventKinds.HostJoinSuccess, null, true, null, clientAddr,
            new() { ["host_id"] = request.HostId, ["role"] = request.Role! });
        return response;
    }

    /// <summary><c>POST /v1/hosts/renew</c>: a new host certificate for the host of a verified host certificate.</summary>
    public async Task<HostCertificateResponse> RenewHostAsync(HostIdentity host, HostRenewRequest request, string clientAddr, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(request);
        var key = ParsePublicKey(request.PublicKeyPem);
        var record = await Backend.GetAsync(BackendKeys.Host(host.HostId), StorageJsonContext.Default.HostRecord, ct).ConfigureAwait(false);
        if (record is null && host.Role != HostRole.Auth)
        {
            throw AuthException.Forbidden($"host \"{host.HostId}\" is not registered: join again with a new token");
        }

        var dns = request.DnsNames ?? [.. host.DnsNames];
        var ips = request.Ips is null ? [.. host.IpAddresses] : ParseIps(request.Ips);
        var response = IssueHost(key, host.Role, host.HostId, dns, ips);
        if (record is not null)
        {
            record.LastCertificateAt = Now;
            record.DnsNames = [.. dns];
            record.CertificateExpires = response.Expires;
            await Backend.PutAsync(BackendKeys.Host(host.HostId), record, StorageJsonContext.Default.HostRecord, cancellationToken: ct).ConfigureAwait(false);
        }

        Emit(AuditEventKinds.CertIssue, null, true, null, clientAddr,
            new() { ["kind"] = "host", ["host_id"] = host.HostId, ["role"] = WireNames.ToName(host.Role) });
        return response;
    }

    /// <summary>The three CAs' trusted certificates in PEM.</summary>
    public CaResponse GetCertificateAuthorities() => new()
    {
        Cluster = ClusterName,
        UserCaPem = Authority.ExportTrustedRootsPem(CaKind.User),
        HostCaPem = Authority.ExportTrustedRootsPem(CaKind.Host),
        DbClientCaPem = Authority.ExportTrustedRootsPem(CaKind.DbClient),
    };

    internal HostCertificateResponse IssueHost(ClientPublicKey key, HostRole role, string hostId, IReadOnlyList<string> dns, IReadOnlyList<IPAddress> ips)
    {
        var certificate = Translate(() => Issuer.IssueHostCertificate(key, role, hostId, dns, ips, _options.HostCertificateTtl));
        return new HostCertificateResponse
        {
            CertificatePem = certificate.ToPem() + "\n",
            HostCaPem = Authority.ExportTrustedRootsPem(CaKind.Host),
            UserCaPem = Authority.ExportTrustedRootsPem(CaKind.User),
            DbClientCaPem = Authority.ExportTrustedRootsPem(CaKind.DbClient),
            Expires = certificate.NotAfter,
        };
    }

    private async Task<bool> ConsumeTokenAsync(string token, string role, CancellationToken ct)
    {
        if (token.Length is 0 or > 256)
        {
            return false;
        }

        var key = BackendKeys.Token(TokenId(token));
        for (var attempt = 0; attempt < 16; attempt++)
        {
            var current = await Backend.GetWithRevisionAsync(key, StorageJsonContext.Default.JoinTokenRecord, ct).ConfigureAwait(false);
            if (current is not { } c || c.Value.Role != role || (!c.Value.MultiUse && c.Value.Uses > 0))
            {
                return false;
            }

            var remaining = c.Value.ExpiresAt - Now;
            if (remaining <= TimeSpan.Zero)
            {
                return false;
            }

            c.Value.Uses++;
            if (await Backend.CompareAndSwapAsync(key, c.Revision, c.Value, StorageJsonContext.Default.JoinTokenRecord, remaining, ct).ConfigureAwait(false) is not null)
            {
                if (!c.Value.MultiUse)
                {
                    await Backend.DeleteAsync(key, ct).ConfigureAwait(false);
                }

                return true;
            }
        }

        return false;
    }

    private static List<IPAddress> ParseIps(IEnumerable<string>? ips)
    {
        var list = new List<IPAddress>();
        foreach (var text in ips ?? [])
        {
            if (!IPAddress.TryParse(text, out var ip))
            {
                throw AuthException.BadRequest($"\"{text}\" is not an IP address");
            }

            list.Add(ip);
        }

        return list;
    }

    private static string TokenId(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string ShortId(string id) => id[..16];

    private static JoinTokenInfo ToInfo(JoinTokenRecord r) => new()
    {
        Id = ShortId(r.Id),
        Role = r.Role,
        MultiUse = r.MultiUse,
        Uses = r.Uses,
        ExpiresAt = r.ExpiresAt,
    };
}
