using System.Net;
using System.Net.Http.Json;
using Ferry.Contracts;
using Ferry.Identity;

namespace Ferry.Auth.Tests;

public sealed class HostTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static JoinRequest Join(string token, string host, string role, KeyPair key) => new()
    {
        Token = token,
        HostId = host,
        Role = role,
        PublicKeyPem = key.ExportPublicKeyPem(),
        DnsNames = ["agent1.example"],
        Ips = ["10.1.2.3"],
    };

    [Fact]
    public async Task Join_SingleUseToken_IssuesAHostCertificateOnceAndIsRefusedTheSecondTime()
    {
        var (code, output, error) = await AdminRunner.RunAsync(_dir.Path, "tokens", "add", "--role", "agent", "--ttl", "10m", "--format", "json");
        Assert.True(code == 0, error);
        var token = System.Text.Json.JsonSerializer.Deserialize(output, AuthApiJsonContext.Default.JoinTokenInfo)!.Token!;
        await using var server = await AuthTestHost.StartAsync(_dir.Path);
        using var client = AuthTestHost.Client(server);
        using var key = KeyPair.Generate();

        var first = await client.PostAsJsonAsync("/v1/join", Join(token, "agent1", "agent", key), AuthApiJsonContext.Default.JoinRequest);
        var second = await client.PostAsJsonAsync("/v1/join", Join(token, "agent2", "agent", key), AuthApiJsonContext.Default.JoinRequest);

        var issued = await AuthTestHost.ReadAsync(first, AuthApiJsonContext.Default.HostCertificateResponse);
        using var certificate = TlsCertificates.FromPem(issued.CertificatePem, key.ExportPrivateKeyPem());
        var verified = server.Service.HostVerifier.VerifyHost(certificate, HostRole.Agent);
        Assert.True(verified.IsValid, verified.Message);
        Assert.Equal("agent1", verified.Identity.HostId);
        Assert.Equal(["agent1.example"], verified.Identity.DnsNames);
        Assert.Equal(HttpStatusCode.Unauthorized, second.StatusCode);
        Assert.Contains("already used", await AuthTestHost.ErrorAsync(second), StringComparison.Ordinal);
        Assert.Empty(await server.Service.ListTokensAsync());
    }

    [Fact]
    public async Task Join_TokenForAgents_CannotMakeAProxy_AndMultiUseTokensServeSeveralHosts()
    {
        await using var server = await AuthTestHost.StartAsync(_dir.Path);
        var token = (await server.Service.AddTokenAsync("agent", TimeSpan.FromMinutes(5), true, "test")).Token!;
        using var client = AuthTestHost.Client(server);
        using var key = KeyPair.Generate();

        var asProxy = await client.PostAsJsonAsync("/v1/join", Join(token, "p1", "proxy", key), AuthApiJsonContext.Default.JoinRequest);
        var a = await client.PostAsJsonAsync("/v1/join", Join(token, "a1", "agent", key), AuthApiJsonContext.Default.JoinRequest);
        var b = await client.PostAsJsonAsync("/v1/join", Join(token, "a2", "agent", key), AuthApiJsonContext.Default.JoinRequest);

        Assert.Equal(HttpStatusCode.Unauthorized, asProxy.StatusCode);
        Assert.Equal(HttpStatusCode.OK, a.StatusCode);
        Assert.Equal(HttpStatusCode.OK, b.StatusCode);
        Assert.Equal(2, (await server.Service.ListTokensAsync()).Single().Uses);
    }

    [Fact]
    public async Task Renew_WithTheHostCertificate_GivesANewOne_AndWithoutIsRefused()
    {
        await using var server = await AuthTestHost.StartAsync(_dir.Path);
        using var hostCert = await AuthTestHost.JoinAsync(server, "proxy1", "proxy");
        using var anonymous = AuthTestHost.Client(server);
        using var authenticated = AuthTestHost.Client(server, hostCert);
        using var key = KeyPair.Generate();
        var body = new HostRenewRequest { PublicKeyPem = key.ExportPublicKeyPem() };

        var refused = await anonymous.PostAsJsonAsync("/v1/hosts/renew", body, AuthApiJsonContext.Default.HostRenewRequest);
        var renewed = await authenticated.PostAsJsonAsync("/v1/hosts/renew", body, AuthApiJsonContext.Default.HostRenewRequest);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        var issued = await AuthTestHost.ReadAsync(renewed, AuthApiJsonContext.Default.HostCertificateResponse);
        using var certificate = TlsCertificates.FromPem(issued.CertificatePem, key.ExportPrivateKeyPem());
        var verified = server.Service.HostVerifier.VerifyHost(certificate, HostRole.Proxy);
        Assert.True(verified.IsValid, verified.Message);
        Assert.Equal("proxy1", verified.Identity.HostId);
    }

    [Fact]
    public async Task DbCerts_AreIssuedToAgentsOnly_WithTheDbUserAsCommonName()
    {
        var (password, secret, _) = await AdminRunner.AddUserAsync(_dir.Path, "alice", "admin", "--traits", "db_users=app_ro");
        await using var server = await AuthTestHost.StartAsync(_dir.Path);
        using var agentCert = await AuthTestHost.JoinAsync(server, "agent1", "agent");
        using var proxyCert = await AuthTestHost.JoinAsync(server, "proxy1", "proxy");
        using var agent = AuthTestHost.Client(server, agentCert);
        using var proxy = AuthTestHost.Client(server, proxyCert);
        await HostScope.RegisterAsync(agent, ("pg1", "dev"));
        using var alice = await HostScope.LoginAsync(server, "alice", password, secret);
        var body = HostScope.DbCert("pg1", "app_ro", alice);

        var fromProxy = await proxy.PostAsJsonAsync("/v1/db-certs", body, AuthApiJsonContext.Default.DbCertificateRequest);
        var fromAgent = await agent.PostAsJsonAsync("/v1/db-certs", body, AuthApiJsonContext.Default.DbCertificateRequest);

        Assert.Equal(HttpStatusCode.Unauthorized, fromProxy.StatusCode);
        var issued = await AuthTestHost.ReadAsync(fromAgent, AuthApiJsonContext.Default.DbCertificateResponse);
        using var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(issued.CertificatePem);
        Assert.Equal("CN=app_ro", certificate.Subject);
        Assert.Contains("BEGIN CERTIFICATE", issued.DbClientCaPem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RolesUsersAndLocks_NeedAHostCertificate()
    {
        var (_, _, _) = await AdminRunner.AddUserAsync(_dir.Path, "alice", "admin", "--traits", "db_users=alice");
        await using var server = await AuthTestHost.StartAsync(_dir.Path);
        using var hostCert = await AuthTestHost.JoinAsync(server, "agent1", "agent");
        using var anonymous = AuthTestHost.Client(server);
        using var host = AuthTestHost.Client(server, hostCert);

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v1/roles")).StatusCode);
        var roles = await AuthTestHost.ReadAsync(await host.GetAsync("/v1/roles"), AuthApiJsonContext.Default.RolesResponse);
        Assert.Contains(roles.Roles, r => r.Name == "admin" && r.BuiltIn && Ferry.Rbac.RoleYaml.ParseSingle(r.Yaml).Options.AuditSearch);
        var user = await AuthTestHost.ReadAsync(await host.GetAsync("/v1/users/alice"), AuthApiJsonContext.Default.UserInfo);
        Assert.Equal(["alice"], user.Traits["db_users"]);
        Assert.Equal(HttpStatusCode.NotFound, (await host.GetAsync("/v1/users/nobody")).StatusCode);
        var ca = await AuthTestHost.ReadAsync(await anonymous.GetAsync("/v1/ca"), AuthApiJsonContext.Default.CaResponse);
        Assert.Equal("test", ca.Cluster);
        Assert.Contains("BEGIN CERTIFICATE", ca.DbClientCaPem, StringComparison.Ordinal);
    }
}
