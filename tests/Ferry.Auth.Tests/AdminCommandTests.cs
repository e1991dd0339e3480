using System.Text.Json;
using Ferry.Contracts;

namespace Ferry.Auth.Tests;

public sealed class AdminCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task RolesApply_BadYaml_FailsNamingFileLineAndField_AndAppliesNothing()
    {
        var file = Path.Combine(_dir.Path, "role.yaml");
        await File.WriteAllTextAsync(file, """
            kind: role
            name: good
            ---
            kind: role
            name: developer
            allow:
              db_labels:
                env: { staging: yes }
            """);

        var (code, _, error) = await AdminRunner.RunAsync(_dir.Path, "roles", "apply", "-f", file);

        Assert.Equal(1, code);
        Assert.Contains("role.yaml:8:10: allow.db_labels.env: expected a string or a list of strings", error, StringComparison.Ordinal);
        var (_, list, _) = await AdminRunner.RunAsync(_dir.Path, "roles", "ls", "--format", "json");
        var roles = JsonSerializer.Deserialize(list, AuthApiJsonContext.Default.ListRoleInfo)!;
        Assert.Equal(["admin"], roles.Select(r => r.Name));
    }

    [Fact]
    public async Task Roles_ApplyGetLsRm_RoundTrip()
    {
        var file = Path.Combine(_dir.Path, "dev.yaml");
        await File.WriteAllTextAsync(file, "kind: role\nname: dev\noptions: { max_session_ttl: 8h }\nallow: { db_labels: { env: [dev] }, db_users: ['{{internal.db_users}}'] }\n");

        Assert.Equal(0, (await AdminRunner.RunAsync(_dir.Path, "roles", "apply", "-f", file)).Code);
        var (_, yaml, _) = await AdminRunner.RunAsync(_dir.Path, "roles", "get", "dev");
        var (_, table, _) = await AdminRunner.RunAsync(_dir.Path, "roles", "ls");
        var removeAdmin = await AdminRunner.RunAsync(_dir.Path, "roles", "rm", "admin");
        var remove = await AdminRunner.RunAsync(_dir.Path, "roles", "rm", "dev");
        var again = await AdminRunner.RunAsync(_dir.Path, "roles", "get", "dev");

        var role = Ferry.Rbac.RoleYaml.ParseSingle(yaml);
        Assert.Equal(TimeSpan.FromHours(8), role.Options.MaxSessionTtl);
        Assert.Equal(["{{internal.db_users}}"], role.Allow.DbUsers);
        Assert.Contains("dev", table, StringComparison.Ordinal);
        Assert.Equal(1, removeAdmin.Code);
        Assert.Contains("built in", removeAdmin.Err, StringComparison.Ordinal);
        Assert.Equal(0, remove.Code);
        Assert.Equal(1, again.Code);
    }

    [Fact]
    public async Task Users_AddLsResetRm_WithTablesAndJson()
    {
        var created = await AdminRunner.RunWithInputAsync(_dir.Path, "a very long password\n", "users", "add", "alice", "--roles", "admin", "--password-stdin");
        var duplicate = await AdminRunner.RunAsync(_dir.Path, "users", "add", "alice", "--roles", "admin");
        var unknownRole = await AdminRunner.RunAsync(_dir.Path, "users", "add", "bob", "--roles", "nope");
        var (_, table, _) = await AdminRunner.RunAsync(_dir.Path, "users", "ls");
        var (_, json, _) = await AdminRunner.RunAsync(_dir.Path, "users", "ls", "--format", "json");
        var reset = await AdminRunner.RunAsync(_dir.Path, "users", "reset", "alice");
        var removed = await AdminRunner.RunAsync(_dir.Path, "users", "rm", "alice");
        var (_, after, _) = await AdminRunner.RunAsync(_dir.Path, "users", "ls", "--format", "json");

        Assert.Equal(0, created.Code);
        Assert.DoesNotContain("password:", created.Out, StringComparison.Ordinal);
        Assert.Contains("otpauth://totp/Ferry:alice?secret=", created.Out, StringComparison.Ordinal);
        Assert.Equal(1, duplicate.Code);
        Assert.Contains("already exists", duplicate.Err, StringComparison.Ordinal);
        Assert.Equal(1, unknownRole.Code);
        Assert.Contains("role \"nope\" does not exist", unknownRole.Err, StringComparison.Ordinal);
        Assert.Contains("USER", table, StringComparison.Ordinal);
        Assert.Contains("alice", table, StringComparison.Ordinal);
        Assert.Equal("alice", JsonSerializer.Deserialize(json, AuthApiJsonContext.Default.ListUserInfo)!.Single().Name);
        Assert.Contains("password:", reset.Out, StringComparison.Ordinal);
        Assert.Equal(0, removed.Code);
        Assert.Empty(JsonSerializer.Deserialize(after, AuthApiJsonContext.Default.ListUserInfo)!);
    }

    [Fact]
    public async Task TokensAndLocks_AddLsRm()
    {
        var (_, tokenJson, _) = await AdminRunner.RunAsync(_dir.Path, "tokens", "add", "--role", "proxy", "--ttl", "1h", "--multi-use", "--format", "json");
        var token = JsonSerializer.Deserialize(tokenJson, AuthApiJsonContext.Default.JoinTokenInfo)!;
        var (_, tokens, _) = await AdminRunner.RunAsync(_dir.Path, "tokens", "ls");
        var tokenRm = await AdminRunner.RunAsync(_dir.Path, "tokens", "rm", token.Id);
        var badRole = await AdminRunner.RunAsync(_dir.Path, "tokens", "add", "--role", "auth");

        var (_, lockJson, _) = await AdminRunner.RunAsync(_dir.Path, "locks", "add", "--role", "dev", "--ttl", "2h", "--format", "json");
        var l = JsonSerializer.Deserialize(lockJson, AuthApiJsonContext.Default.LockInfo)!;
        var (_, locks, _) = await AdminRunner.RunAsync(_dir.Path, "locks", "ls");
        var twoTargets = await AdminRunner.RunAsync(_dir.Path, "locks", "add", "--role", "dev", "--user", "x");
        var lockRm = await AdminRunner.RunAsync(_dir.Path, "locks", "rm", l.Id);

        Assert.Equal(32, token.Token!.Length);
        Assert.Contains(token.Id, tokens, StringComparison.Ordinal);
        Assert.Contains("multi", tokens, StringComparison.Ordinal);
        Assert.Equal(0, tokenRm.Code);
        Assert.Equal(1, badRole.Code);
        Assert.Equal("role", l.Kind);
        Assert.NotNull(l.ExpiresAt);
        Assert.Contains(l.Id, locks, StringComparison.Ordinal);
        Assert.Equal(1, twoTargets.Code);
        Assert.Equal(0, lockRm.Code);
    }

    [Fact]
    public async Task CaExport_AndDbCert_WriteUsablePemFiles()
    {
        var (code, pem, error) = await AdminRunner.RunAsync(_dir.Path, "ca", "export", "--type", "db-client");
        Assert.True(code == 0, error);
        var outDir = Path.Combine(_dir.Path, "pgtls");

        var dbCert = await AdminRunner.RunAsync(_dir.Path, "db-cert", "--host", "db1.internal,10.0.0.5", "--out-dir", outDir);

        Assert.True(dbCert.Code == 0, dbCert.Err);
        using var server = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(
            Path.Combine(outDir, "server.crt"), Path.Combine(outDir, "server.key"));
        Assert.True(server.HasPrivateKey);
        Assert.Equal("CN=db1.internal", server.Subject);
        Assert.Equal(pem, await File.ReadAllTextAsync(Path.Combine(outDir, "ca.crt")));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(outDir, "server.key")));
        }
    }
}
