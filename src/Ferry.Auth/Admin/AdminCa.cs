using System.CommandLine;
using System.Net;
using Ferry.Identity;

namespace Ferry.Auth.Admin;

/// <summary><c>ca export --type</c> and <c>db-cert</c>.</summary>
internal static class AdminCa
{
    public static Command Create(AdminOptions o)
    {
        var ca = new Command("ca", "Certificate authorities");
        var type = new Option<string>("--type") { Description = "user, host or db-client", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Write to this file instead of standard output" };
        var fingerprint = new Option<bool>("--fingerprint") { Description = "Print the sha256: pin of each trusted certificate instead of PEM (for `ca_pin` and `ferry login --ca-pin`)" };
        var export = new Command("export", "Print a CA's trusted certificates in PEM (db-client: PostgreSQL ssl_ca_file, MariaDB ssl-ca)") { type, output, fingerprint };
        export.SetAction((r, ct) => o.RunAsync(r, async (s, w) =>
        {
            var kind = r.GetValue(type) switch
            {
                "user" => CaKind.User,
                "host" => CaKind.Host,
                "db-client" => CaKind.DbClient,
                var other => throw AuthException.BadRequest($"--type \"{other}\" is unknown: use user, host or db-client"),
            };
            var pem = s.Authority.ExportTrustedRootsPem(kind);
            if (r.GetValue(fingerprint))
            {
                pem = string.Concat(CaFingerprint.OfBundle(pem).Select(f => f + "\n"));
            }
            if (r.GetValue(output) is { Length: > 0 } path)
            {
                await File.WriteAllTextAsync(path, pem, ct).ConfigureAwait(false);
                await w.WriteLineAsync($"wrote {path}").ConfigureAwait(false);
            }
            else
            {
                await w.WriteAsync(pem).ConfigureAwait(false);
            }
        }, ct));
        ca.Add(export);
        return ca;
    }

    public static Command CreateDbCert(AdminOptions o)
    {
        var hosts = new Option<string[]>("--host") { Description = "DNS names or IPs of the database server (repeat or comma-separate)", Required = true, AllowMultipleArgumentsPerToken = true };
        var outDir = new Option<string>("--out-dir") { Description = "Directory for server.crt, server.key (0600) and ca.crt", DefaultValueFactory = _ => "." };
        var ttl = new Option<string>("--ttl") { Description = "Lifetime, e.g. 90d", DefaultValueFactory = _ => "90d" };
        var dbCert = new Command("db-cert", "Issue a server certificate + key + CA for a database host (PostgreSQL ssl_cert_file/ssl_key_file/ssl_ca_file, MariaDB ssl-cert/ssl-key/ssl-ca)") { hosts, outDir, ttl };
        dbCert.SetAction((r, ct) => o.RunAsync(r, async (s, w) =>
        {
            var names = AdminUsers.SplitList(r.GetValue(hosts));
            var dns = names.Where(n => !IPAddress.TryParse(n, out _)).ToList();
            var ips = names.Select(n => IPAddress.TryParse(n, out var ip) ? ip : null).OfType<IPAddress>().ToList();
            DatabaseServerBundle bundle;
            try
            {
                bundle = s.Issuer.ExportDatabaseServerBundle(dns, ips, AdminTokens.ParseTtl(r.GetValue(ttl)!));
            }
            catch (InvalidCertificateRequestException e)
            {
                throw AuthException.BadRequest(e.Message);
            }

            var dir = r.GetValue(outDir)!;
            Directory.CreateDirectory(dir);
            var keyPath = Path.Combine(dir, "server.key");
            await File.WriteAllTextAsync(Path.Combine(dir, "server.crt"), bundle.CertificatePem, ct).ConfigureAwait(false);
            await using (var key = new FileStream(keyPath, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = OperatingSystem.IsWindows() ? null : UnixFileMode.UserRead | UnixFileMode.UserWrite }))
            await using (var writer = new StreamWriter(key))
            {
                await writer.WriteAsync(bundle.KeyPem).ConfigureAwait(false);
            }

            await File.WriteAllTextAsync(Path.Combine(dir, "ca.crt"), bundle.CaPem, ct).ConfigureAwait(false);
            await w.WriteLineAsync($"wrote {Path.Combine(dir, "server.crt")}, {keyPath} (0600), {Path.Combine(dir, "ca.crt")}").ConfigureAwait(false);
        }, ct));
        return dbCert;
    }
}
