using Ferry.Testing;
using Npgsql;

namespace Ferry.Fixtures.Tests;

public sealed class PostgresFixtureTests : IDisposable
{
    private readonly TestPki _pki = new();
    private readonly TempDirectory _dir = new("ferry-pgclient-");

    [Fact]
    public async Task CertificateLogin_IsAccepted_AndPasswordOnlyLogin_IsRefused()
    {
        await using var pg = await PostgresServer.StartAsync(_pki.ServerTls());
        await pg.CreateUserAsync("alice", ownedDatabase: "app");
        var caPath = _dir.Sub("ca.pem");
        await File.WriteAllTextAsync(caPath, _pki.CaPem);
        var (cert, key) = TestPki.WriteClientFiles(_dir.Path, "alice", _pki.IssueClient("alice"));

        var withCert = $"Host=127.0.0.1;Port={pg.Port};Username=alice;Database=app;SSL Mode=VerifyCA;Root Certificate={caPath};SSL Certificate={cert};SSL Key={key};Pooling=false";
        await using (var conn = new NpgsqlConnection(withCert))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("SELECT current_user || ':' || current_database() || ':' || (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())::text", conn);
            Assert.Equal("alice:app:true", (string?)await cmd.ExecuteScalarAsync());
        }

        var passwordOnly = $"Host=127.0.0.1;Port={pg.Port};Username=alice;Password=secret;Database=app;SSL Mode=Require;Trust Server Certificate=true;Pooling=false";
        await using (var conn = new NpgsqlConnection(passwordOnly))
        {
            var ex = await Assert.ThrowsAsync<PostgresException>(() => conn.OpenAsync());
            Assert.Equal("28000", ex.SqlState);
        }

        // A certificate for another name does not log in as alice.
        var (bobCert, bobKey) = TestPki.WriteClientFiles(_dir.Path, "bob", _pki.IssueClient("bob"));
        var wrongName = $"Host=127.0.0.1;Port={pg.Port};Username=alice;Database=app;SSL Mode=VerifyCA;Root Certificate={caPath};SSL Certificate={bobCert};SSL Key={bobKey};Pooling=false";
        await using (var conn = new NpgsqlConnection(wrongName))
        {
            var ex = await Assert.ThrowsAsync<PostgresException>(() => conn.OpenAsync());
            Assert.Equal("28000", ex.SqlState);
        }
    }

    [Fact]
    public async Task Dispose_StopsTheServer_AndRemovesItsDirectory()
    {
        var pg = await PostgresServer.StartAsync(_pki.ServerTls());
        var root = pg.RootDirectory;
        var pid = pg.Pid;
        await pg.DisposeAsync();
        Assert.False(Directory.Exists(root));
        Assert.False(Directory.Exists($"/proc/{pid}"), $"postgres pid {pid} still running");
    }

    public void Dispose()
    {
        _pki.Dispose();
        _dir.Dispose();
    }
}
