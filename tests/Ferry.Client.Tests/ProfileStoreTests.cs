using Ferry.Identity;

namespace Ferry.Client.Tests;

public sealed class ProfileStoreTests
{
    private static ClientProfile Profile() => new()
    {
        Proxy = "127.0.0.1:3080",
        MySqlProxy = "127.0.0.1:3036",
        User = "alice",
        Cluster = "test",
        CaPins = ["sha256:" + new string('a', 64)],
        Expires = DateTimeOffset.UtcNow.AddHours(1),
    };

    [Fact]
    public void SaveLogin_WritesEveryFileOwnerOnly_InAnOwnerOnlyDirectory()
    {
        using var dir = new TempDirectory();
        var store = new ProfileStore(dir.Paths());
        store.SaveLogin(Profile(), "KEY", "CERT", "HOSTCA", "USERCA");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(store.Paths.Root));
        foreach (var file in new[] { store.Paths.KeyFile, store.Paths.CertificateFile, store.Paths.HostCaFile, store.Paths.UserCaFile, store.Paths.ProfileFile })
        {
            Assert.True(File.Exists(file), file);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        Assert.Equal("KEY", File.ReadAllText(store.Paths.KeyFile));
        Assert.Empty(Directory.GetFiles(store.Paths.Root, ".*.tmp"));
    }

    [Fact]
    public void LoadProfile_ReturnsWhatWasSaved_InSnakeCaseJson()
    {
        using var dir = new TempDirectory();
        var store = new ProfileStore(dir.Paths());
        var saved = Profile();
        store.SaveLogin(saved, "KEY", "CERT", "HOSTCA", "USERCA");
        var loaded = store.LoadProfile();
        Assert.NotNull(loaded);
        Assert.Equal(saved.Proxy, loaded.Proxy);
        Assert.Equal(saved.User, loaded.User);
        Assert.Equal(saved.CaPins, loaded.CaPins);
        Assert.Contains("\"my_sql_proxy\"", File.ReadAllText(store.Paths.ProfileFile));
    }

    [Fact]
    public void LoadProfile_MissingOrCorrupt_IsNull()
    {
        using var dir = new TempDirectory();
        var store = new ProfileStore(dir.Paths());
        Assert.Null(store.LoadProfile());
        Directory.CreateDirectory(store.Paths.Root);
        File.WriteAllText(store.Paths.ProfileFile, "{not json");
        Assert.Null(store.LoadProfile());
    }

    [Fact]
    public void DeleteLogin_RemovesKeyCertificatesAndDatabaseLogins()
    {
        using var dir = new TempDirectory();
        var store = new ProfileStore(dir.Paths());
        store.SaveLogin(Profile(), "KEY", "CERT", "HOSTCA", "USERCA");
        store.SaveDatabaseLogin(new DatabaseLogin { Name = "pg1", Protocol = "postgres" }, "DBCERT");
        Assert.Equal(["pg1"], store.DatabaseLoginNames());
        store.DeleteLogin();
        Assert.False(File.Exists(store.Paths.KeyFile));
        Assert.False(File.Exists(store.Paths.ProfileFile));
        Assert.False(Directory.Exists(store.Paths.DatabaseDirectory("pg1")));
        Assert.Empty(store.DatabaseLoginNames());
    }

    [Fact]
    public void ClientSessionLoad_WithoutLogin_SaysToRunFerryLogin()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<FerryClientException>(() => ClientSession.Load(dir.Paths()));
        Assert.Equal("not logged in: run `ferry login --proxy HOST:3080 --user NAME`", e.Message);
    }

    [Fact]
    public void ClientSessionLoad_ValidLogin_ReadsTheIdentity()
    {
        using var dir = new TempDirectory();
        using var cluster = new TestCluster(dir.Path);
        using var key = KeyPair.Generate();
        var store = new ProfileStore(dir.Paths());
        store.SaveLogin(Profile(), key.ExportPrivateKeyPem(), cluster.IssueUser(key, "alice", TimeSpan.FromHours(8)), cluster.HostCaPem, cluster.UserCaPem);
        using var session = ClientSession.Load(store.Paths);
        Assert.Equal("alice", session.Identity.User);
        Assert.Equal(["developer"], session.Identity.Roles);
        Assert.True(session.Certificate.HasPrivateKey);
        Assert.Equal(new ProxyAddress("127.0.0.1", 3080), session.Address);
    }

    [Fact]
    public void ClientSessionLoad_ExpiredLogin_SaysHowLongAgoAndTheExactLoginCommand()
    {
        using var dir = new TempDirectory();
        using var cluster = new TestCluster(dir.Path, DateTimeOffset.UtcNow.AddHours(-3));
        using var key = KeyPair.Generate();
        var store = new ProfileStore(dir.Paths());
        store.SaveLogin(Profile(), key.ExportPrivateKeyPem(), cluster.IssueUser(key, "alice", TimeSpan.FromHours(1)), cluster.HostCaPem, cluster.UserCaPem);
        var e = Assert.Throws<FerryClientException>(() => ClientSession.Load(store.Paths));
        Assert.StartsWith("your login to 127.0.0.1:3080 as alice expired 2h", e.Message);
        Assert.EndsWith("ago: run `ferry login --proxy 127.0.0.1:3080 --user alice`", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void ClientSessionLoad_CertificateFromAnotherCluster_IsRefused()
    {
        using var dir = new TempDirectory();
        using var cluster = new TestCluster(Path.Combine(dir.Path, "a"));
        using var other = new TestCluster(Path.Combine(dir.Path, "b"));
        using var key = KeyPair.Generate();
        var store = new ProfileStore(dir.Paths());
        store.SaveLogin(Profile(), key.ExportPrivateKeyPem(), other.IssueUser(key, "alice", TimeSpan.FromHours(1)), cluster.HostCaPem, cluster.UserCaPem);
        var e = Assert.Throws<FerryClientException>(() => ClientSession.Load(store.Paths));
        Assert.Contains("run `ferry login --proxy 127.0.0.1:3080 --user alice`", e.Message);
    }
}
