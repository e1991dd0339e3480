using Ferry.Contracts;
using Ferry.Auth.Server;
using Ferry.Identity;

namespace Ferry.Auth.Tests;

public sealed class SessionTtlTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Login_WithoutATtl_GetsTheConfiguredDefault_CappedByTheRole()
    {
        var (password, secret, _) = await AdminRunner.AddUserAsync(_dir.Path, "alice", "admin");
        await using var server = await AuthServer.StartAsync(new AuthServerOptions
        {
            DataDir = _dir.Path,
            ListenAddress = "127.0.0.1:0",
            ClusterName = "test",
            DefaultSessionTtl = TimeSpan.FromHours(2),
        });
        using var client = AuthTestHost.Client(server);
        using var key = KeyPair.Generate();
        var issued = await AuthTestHost.ReadAsync(await AuthTestHost.LoginAsync(client, "alice", password, AuthTestHost.Otp(secret), key), AuthApiJsonContext.Default.UserCertificateResponse);

        var left = issued.Expires - DateTimeOffset.UtcNow;
        // The admin role allows 12h; the cluster default asks for 2h.
        Assert.InRange(left, TimeSpan.FromHours(2) - TimeSpan.FromMinutes(5), TimeSpan.FromHours(2) + TimeSpan.FromMinutes(1));
    }
}
