using Ferry.Testing;
using MySqlConnector;

namespace Ferry.Fixtures.Tests;

public sealed class MariaDbFixtureTests : IDisposable
{
    private readonly TestPki _pki = new();
    private readonly TempDirectory _dir = new("ferry-myclient-");

    [Fact]
    public async Task CertificateLogin_IsAccepted_AndPasswordOnlyLogin_IsRefused()
    {
        await using var db = await MariaDbServer.StartAsync(_pki.ServerTls());
        await db.CreateCertificateUserAsync("alice");
        var caPath = _dir.Sub("ca.pem");
        await File.WriteAllTextAsync(caPath, _pki.CaPem);
        var (cert, key) = TestPki.WriteClientFiles(_dir.Path, "alice", _pki.IssueClient("alice"));

        var withCert = $"Server=127.0.0.1;Port={db.Port};User ID=alice;SslMode=VerifyCA;SslCa={caPath};SslCert={cert};SslKey={key};Pooling=false";
        await using (var conn = new MySqlConnection(withCert))
        {
            await conn.OpenAsync();
            await using var cmd = new MySqlCommand("SELECT CONCAT(CURRENT_USER(), ':', (SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME='Ssl_cipher') <> '')", conn);
            Assert.Equal("alice@%:1", (string?)await cmd.ExecuteScalarAsync());
        }

        var passwordOnly = $"Server=127.0.0.1;Port={db.Port};User ID=alice;Password=secret;SslMode=Required;Pooling=false";
        await using (var conn = new MySqlConnection(passwordOnly))
        {
            var ex = await Assert.ThrowsAsync<MySqlException>(() => conn.OpenAsync());
            Assert.Equal(MySqlErrorCode.AccessDenied, ex.ErrorCode);
        }

        var (bobCert, bobKey) = TestPki.WriteClientFiles(_dir.Path, "bob", _pki.IssueClient("bob"));
        var wrongName = $"Server=127.0.0.1;Port={db.Port};User ID=alice;SslMode=VerifyCA;SslCa={caPath};SslCert={bobCert};SslKey={bobKey};Pooling=false";
        await using (var conn = new MySqlConnection(wrongName))
        {
            var ex = await Assert.ThrowsAsync<MySqlException>(() => conn.OpenAsync());
            Assert.Equal(MySqlErrorCode.AccessDenied, ex.ErrorCode);
        }
    }

    public void Dispose()
    {
        _pki.Dispose();
        _dir.Dispose();
    }
}
