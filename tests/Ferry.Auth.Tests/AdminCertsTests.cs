using System.Security.Cryptography.X509Certificates;
using Ferry.Identity;

namespace Ferry.Auth.Tests;

public sealed class AdminCertsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private const string Role = "kind: role\nname: dev\noptions: { max_session_ttl: 2h }\nallow: { db_labels: { env: [dev] }, db_users: ['{{internal.db_users}}'] }\n";

    private async Task ApplyRoleAsync()
    {
        var file = Path.Combine(_dir.Path, "dev.yaml");
        await File.WriteAllTextAsync(file, Role);
        var (code, _, error) = await AdminRunner.RunAsync(_dir.Path, "roles", "apply", "-f", file);
        Assert.True(code == 0, error);
    }

    private IdentityVerifier Verifier(CaKind kind)
    {
        using var store = CertificateAuthorityStore.OpenOrCreate(_dir.Path, "test");
        return store.CreateVerifier(kind);
    }

    [Fact]
    public async Task CertsUser_WritesARoutedCertificate_WithTheUsersRoles_AndAPrivateKey()
    {
        await ApplyRoleAsync();
        await AdminRunner.AddUserAsync(_dir.Path, "bench", "dev", "--traits", "db_users=alice");
        var outDir = Path.Combine(_dir.Path, "bench-cert");

        var (code, _, error) = await AdminRunner.RunAsync(_dir.Path, "certs", "user", "bench", "--service", "pg1", "--protocol", "postgres",
            "--db-user", "alice", "--db-name", "app", "--ttl", "1h", "--out-dir", outDir);

        Assert.True(code == 0, error);
        using var cert = X509Certificate2.CreateFromPemFile(Path.Combine(outDir, "cert.pem"), Path.Combine(outDir, "key.pem"));
        Assert.True(cert.HasPrivateKey);
        var verified = Verifier(CaKind.User).VerifyUser(cert);
        Assert.True(verified.IsValid);
        Assert.Equal("bench", verified.Identity!.User);
        Assert.Equal(["dev"], verified.Identity.Roles);
        Assert.Equal(["alice"], verified.Identity.Traits["db_users"]);
        Assert.Equal(new DatabaseRoute("pg1", DatabaseProtocol.Postgres, "alice", "app"), verified.Identity.Route);
        Assert.InRange(cert.NotAfter.ToUniversalTime() - DateTime.UtcNow, TimeSpan.FromMinutes(55), TimeSpan.FromMinutes(61));
        Assert.Contains("BEGIN CERTIFICATE", await File.ReadAllTextAsync(Path.Combine(outDir, "host-ca.pem")), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(outDir, "key.pem")));
        }
    }

    [Fact]
    public async Task CertsUser_LifetimeIsCappedByTheRolesMaxSessionTtl()
    {
        await ApplyRoleAsync();
        await AdminRunner.AddUserAsync(_dir.Path, "bench", "dev");
        var outDir = Path.Combine(_dir.Path, "long");

        var (code, _, error) = await AdminRunner.RunAsync(_dir.Path, "certs", "user", "bench", "--ttl", "30d", "--out-dir", outDir);

        Assert.True(code == 0, error);
        using var cert = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(outDir, "cert.pem"));
        Assert.InRange(cert.NotAfter.ToUniversalTime() - DateTime.UtcNow, TimeSpan.FromMinutes(110), TimeSpan.FromMinutes(121));
    }

    [Fact]
    public async Task CertsUser_UnknownUserOrLockedUser_IsRefused_AndWritesNothing()
    {
        await ApplyRoleAsync();
        await AdminRunner.AddUserAsync(_dir.Path, "bench", "dev");
        var lockResult = await AdminRunner.RunAsync(_dir.Path, "locks", "add", "--user", "bench");
        Assert.True(lockResult.Code == 0, lockResult.Err);
        var outDir = Path.Combine(_dir.Path, "refused");

        var unknown = await AdminRunner.RunAsync(_dir.Path, "certs", "user", "nobody", "--out-dir", outDir);
        var locked = await AdminRunner.RunAsync(_dir.Path, "certs", "user", "bench", "--out-dir", outDir);

        Assert.Equal(1, unknown.Code);
        Assert.Contains("does not exist", unknown.Err, StringComparison.Ordinal);
        Assert.Equal(1, locked.Code);
        Assert.Contains("lock", locked.Err, StringComparison.OrdinalIgnoreCase);
        Assert.False(File.Exists(Path.Combine(outDir, "cert.pem")));
    }

    [Fact]
    public async Task CertsHost_WritesAnAgentCertificate_TheHostVerifierAcceptsAsAgentOnly()
    {
        var outDir = Path.Combine(_dir.Path, "agent");

        var (code, _, error) = await AdminRunner.RunAsync(_dir.Path, "certs", "host", "--role", "agent", "--id", "loadgen-1", "--host", "127.0.0.1", "--out-dir", outDir);

        Assert.True(code == 0, error);
        using var cert = X509Certificate2.CreateFromPemFile(Path.Combine(outDir, "cert.pem"), Path.Combine(outDir, "key.pem"));
        var verifier = Verifier(CaKind.Host);
        var asAgent = verifier.VerifyHost(cert.RawData, HostRole.Agent);
        Assert.True(asAgent.IsValid);
        Assert.Equal("loadgen-1", asAgent.Identity!.HostId);
        Assert.False(verifier.VerifyHost(cert.RawData, HostRole.Proxy).IsValid);
        var hostCa = X509CertificateLoader.LoadCertificate(System.Text.Encoding.ASCII.GetBytes(await File.ReadAllTextAsync(Path.Combine(outDir, "host-ca.pem"))));
        Assert.Contains(verifier.TrustedRoots, r => r.Thumbprint == hostCa.Thumbprint);
    }

    [Fact]
    public async Task CertsHost_RegistersTheHost_SoItsCertificateIsAcceptedOnHostEndpoints()
    {
        var outDir = Path.Combine(_dir.Path, "agent");

        var (code, _, error) = await AdminRunner.RunAsync(_dir.Path, "certs", "host", "--role", "agent", "--id", "edge-7", "--out-dir", outDir);

        Assert.True(code == 0, error);
        var (listed, hosts, listError) = await AdminRunner.RunAsync(_dir.Path, "hosts", "ls", "--format", "json");
        Assert.True(listed == 0, listError);
        using var json = System.Text.Json.JsonDocument.Parse(hosts);
        var host = Assert.Single(json.RootElement.EnumerateArray(), h => h.GetProperty("host_id").GetString() == "edge-7");
        Assert.Equal("agent", host.GetProperty("role").GetString());
        Assert.Equal("admin", host.GetProperty("address").GetString());
    }

    [Fact]
    public async Task CertsHost_ForAnIdRegisteredWithAnotherRole_IsRefused_AndWritesNothing()
    {
        var (first, _, firstError) = await AdminRunner.RunAsync(_dir.Path, "certs", "host", "--role", "proxy", "--id", "p1", "--out-dir", Path.Combine(_dir.Path, "p1"));
        Assert.True(first == 0, firstError);
        var outDir = Path.Combine(_dir.Path, "taken");

        var (code, _, error) = await AdminRunner.RunAsync(_dir.Path, "certs", "host", "--role", "agent", "--id", "p1", "--out-dir", outDir);

        Assert.Equal(1, code);
        Assert.Contains("registered as proxy", error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(outDir, "cert.pem")));
    }

    [Fact]
    public async Task CertsHost_UnknownRole_IsRefused()
    {
        var (code, _, error) = await AdminRunner.RunAsync(_dir.Path, "certs", "host", "--role", "wizard", "--id", "x", "--out-dir", Path.Combine(_dir.Path, "x"));

        Assert.Equal(1, code);
        Assert.Contains("wizard", error, StringComparison.Ordinal);
    }
}
