using System.CommandLine;
using System.Globalization;
using System.Net;
using Ferry.Audit;
using Ferry.Contracts;
using Ferry.Identity;

namespace Ferry.Auth.Admin;

/// <summary>
/// <c>certs user</c> and <c>certs host</c>: certificates for scripts and benchmarks without an interactive login.
/// <c>certs user</c> goes through <see cref="AuthService.ReissueUserCertificateAsync"/> (the <c>POST /v1/certs/user</c>
/// path: user must exist, locks refuse, roles' <c>max_session_ttl</c> caps the lifetime, the proxy applies RBAC to the route).
/// </summary>
internal static class AdminCerts
{
    public static Command Create(AdminOptions o)
    {
        var certs = new Command("certs", "Issue certificates from the local CAs (for scripts: no login needed)");
        certs.Add(CreateUser(o));
        certs.Add(CreateHost(o));
        return certs;
    }

    private static Command CreateUser(AdminOptions o)
    {
        var name = new Argument<string>("name") { Description = "Existing user name" };
        var service = new Option<string>("--service") { Description = "Database the certificate is routed to (e.g. pg1)" };
        var protocol = new Option<string>("--protocol") { Description = "postgres or mysql", DefaultValueFactory = _ => "postgres" };
        var dbUser = new Option<string>("--db-user") { Description = "Database user in the route" };
        var dbName = new Option<string>("--db-name") { Description = "Database name in the route" };
        var ttl = new Option<string>("--ttl") { Description = "Lifetime, capped by the roles' max_session_ttl", DefaultValueFactory = _ => "1h" };
        var outDir = new Option<string>("--out-dir") { Description = "Directory for cert.pem, key.pem (0600) and host-ca.pem", DefaultValueFactory = _ => "." };
        var user = new Command("user", "Issue a user certificate (optionally routed to a database) for an existing user") { name, service, protocol, dbUser, dbName, ttl, outDir };
        user.SetAction((r, ct) => o.RunAsync(r, async (s, w) =>
        {
            var userName = r.GetValue(name)!;
            var info = await s.GetUserAsync(userName, ct).ConfigureAwait(false)
                ?? throw AuthException.NotFound($"user \"{userName}\" does not exist: add it with `ferryd admin users add`");
            var lifetime = AdminTokens.ParseTtl(r.GetValue(ttl)!);
            using var key = KeyPair.Generate();
            // The admin stands in for a freshly logged-in user: the presented identity only bounds the lifetime;
            // roles and traits are re-read from the user record by the re-issue path. No second factor was checked.
            var presented = new UserIdentity
            {
                User = info.Name,
                ClusterName = s.ClusterName,
                Roles = info.Roles,
                NotAfter = s.Now + lifetime,
            };
            var request = new UserCertificateRequest
            {
                PublicKeyPem = key.ExportPublicKeyPem(),
                TtlSeconds = (long)lifetime.TotalSeconds,
                Route = r.GetValue(service) is { Length: > 0 } svc
                    ? new RouteRequest { Service = svc, Protocol = r.GetValue(protocol)!, DbUser = r.GetValue(dbUser) ?? "", DbName = r.GetValue(dbName) ?? "" }
                    : null,
            };
            var issued = await s.ReissueUserCertificateAsync(presented, request, AdminOptions.Actor, ct).ConfigureAwait(false);
            var dir = r.GetValue(outDir)!;
            await WriteAsync(dir, issued.CertificatePem, key.ExportPrivateKeyPem(), issued.HostCaPem, ct).ConfigureAwait(false);
            await w.WriteLineAsync($"wrote {Path.Combine(dir, "cert.pem")}, {Path.Combine(dir, "key.pem")} (0600), {Path.Combine(dir, "host-ca.pem")}; expires {issued.Expires.ToString("u", CultureInfo.InvariantCulture)}").ConfigureAwait(false);
        }, ct));
        return user;
    }

    private static Command CreateHost(AdminOptions o)
    {
        var role = new Option<string>("--role") { Description = "agent, proxy or auth", Required = true };
        var id = new Option<string>("--id") { Description = "Host id (the certificate's CN)", Required = true };
        var hosts = new Option<string[]>("--host") { Description = "DNS names or IPs for the SAN (repeat or comma-separate)", AllowMultipleArgumentsPerToken = true };
        var ttl = new Option<string>("--ttl") { Description = "Lifetime, e.g. 24h", DefaultValueFactory = _ => "24h" };
        var outDir = new Option<string>("--out-dir") { Description = "Directory for cert.pem, key.pem (0600) and host-ca.pem", DefaultValueFactory = _ => "." };
        var host = new Command("host", "Issue a host certificate and register the host (e.g. for an agent that cannot join with a token)") { role, id, hosts, ttl, outDir };
        host.SetAction((r, ct) => o.RunAsync(r, async (s, w) =>
        {
            var hostRole = r.GetValue(role) switch
            {
                "agent" => HostRole.Agent,
                "proxy" => HostRole.Proxy,
                "auth" => HostRole.Auth,
                var other => throw AuthException.BadRequest($"--role \"{other}\" is unknown: use agent, proxy or auth"),
            };
            var hostId = r.GetValue(id)!;
            Names.Require(hostId, "host id");
            var names = AdminUsers.SplitList(r.GetValue(hosts));
            var dns = names.Where(n => !IPAddress.TryParse(n, out _)).ToList();
            var ips = names.Select(n => IPAddress.TryParse(n, out var ip) ? ip : null).OfType<IPAddress>().ToList();
            using var key = KeyPair.Generate();
            IssuedCertificate issued;
            try
            {
                issued = s.Issuer.IssueHostCertificate(key.ToClientPublicKey(), hostRole, hostId, dns, ips, AdminTokens.ParseTtl(r.GetValue(ttl)!));
            }
            catch (InvalidCertificateRequestException e)
            {
                throw AuthException.BadRequest(e.Message);
            }

            // A proxy's or agent's certificate works only while its host is registered: record it, as a join does.
            await s.RegisterIssuedHostAsync(hostId, hostRole, dns, issued.NotAfter, ct).ConfigureAwait(false);
            s.Emit(AuditEventKinds.CertIssue, AdminOptions.Actor, true, null, null,
                new() { ["kind"] = "host", ["role"] = r.GetValue(role)!, ["host_id"] = hostId, ["expires"] = issued.NotAfter.ToString("O", CultureInfo.InvariantCulture) });
            var dir = r.GetValue(outDir)!;
            await WriteAsync(dir, issued.ToPem() + "\n", key.ExportPrivateKeyPem(), s.Authority.ExportTrustedRootsPem(CaKind.Host), ct).ConfigureAwait(false);
            await w.WriteLineAsync($"wrote {Path.Combine(dir, "cert.pem")}, {Path.Combine(dir, "key.pem")} (0600), {Path.Combine(dir, "host-ca.pem")}; expires {issued.NotAfter.ToString("u", CultureInfo.InvariantCulture)}").ConfigureAwait(false);
        }, ct));
        return host;
    }

    private static async Task WriteAsync(string dir, string certificatePem, string keyPem, string hostCaPem, CancellationToken ct)
    {
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, "cert.pem"), certificatePem, ct).ConfigureAwait(false);
        var keyPath = Path.Combine(dir, "key.pem");
        File.Delete(keyPath);
        await using (var stream = new FileStream(keyPath, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OperatingSystem.IsWindows() ? null : UnixFileMode.UserRead | UnixFileMode.UserWrite }))
        await using (var writer = new StreamWriter(stream))
        {
            await writer.WriteAsync(keyPem).ConfigureAwait(false);
        }

        await File.WriteAllTextAsync(Path.Combine(dir, "host-ca.pem"), hostCaPem, ct).ConfigureAwait(false);
    }
}
