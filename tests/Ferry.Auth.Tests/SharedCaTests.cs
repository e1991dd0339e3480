using System.Security.Cryptography;
using Ferry.Auth.Backend;
using Ferry.Config;
using Ferry.Identity;

namespace Ferry.Auth.Tests;

/// <summary>
/// Several auth services on one PostgreSQL backend share the CAs: created once (compare-and-swap), private keys
/// sealed with AES-256-GCM under <c>auth.ca_key_encryption</c>, refused with another key, rotations followed.
/// </summary>
public sealed class SharedCaTests(PostgresBackendServer pg) : IClassFixture<PostgresBackendServer>, IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string KeyFile(string name, byte[]? key = null)
    {
        var path = Path.Combine(_dir.Path, name);
        File.WriteAllText(path, Convert.ToBase64String(key ?? RandomNumberGenerator.GetBytes(32)) + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    private string DataDir(string name)
    {
        var path = Path.Combine(_dir.Path, name);
        Directory.CreateDirectory(path);
        return path;
    }

    private static AuthServiceOptions Options(string dataDir, string serverId, string conn, string keyFile) => new()
    {
        DataDir = dataDir,
        ClusterName = "test",
        ServerId = serverId,
        SweepAccessRequests = false,
        Backend = new BackendConfig { Kind = BackendKind.Postgres, ConnString = conn, CaKeyEncryption = new CaKeyEncryptionConfig { KeyFile = keyFile } },
    };

    private static readonly CaKind[] Kinds = [CaKind.User, CaKind.Host, CaKind.DbClient];

    [Fact]
    public async Task TwoServers_StartingAtOnce_EndWithOneCa_AndTrustEachOthersCertificates()
    {
        var conn = await pg.NewDatabaseAsync();
        var key = KeyFile("ca.key");
        var opening = await Task.WhenAll(
            AuthService.OpenAsync(Options(DataDir("a"), "auth-a", conn, key), new CapturingAuditSink()),
            AuthService.OpenAsync(Options(DataDir("b"), "auth-b", conn, key), new CapturingAuditSink()));
        await using var a = opening[0];
        await using var b = opening[1];

        foreach (var kind in Kinds)
        {
            Assert.Equal(Assert.Single(a.Authority.GetKeys(kind)).Id, Assert.Single(b.Authority.GetKeys(kind)).Id);
        }

        // Nothing in the data directories: the CAs live in the backend only.
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "a", "ca")));

        // A certificate issued by B verifies under A's CA, and the reverse.
        using var pair = KeyPair.Generate();
        using var fromB = b.Issuer.IssueUserCertificate(pair.ToClientPublicKey(), Alice(), TimeSpan.FromHours(1), TimeSpan.FromHours(1)).ToX509Certificate2();
        Assert.True(a.UserVerifier.VerifyUser(fromB).IsValid);
        using var fromA = a.Issuer.IssueUserCertificate(pair.ToClientPublicKey(), Alice(), TimeSpan.FromHours(1), TimeSpan.FromHours(1)).ToX509Certificate2();
        Assert.True(b.UserVerifier.VerifyUser(fromA).IsValid);
    }

    [Fact]
    public async Task StoredCa_HoldsThePrivateKeySealed_NotInClear()
    {
        var conn = await pg.NewDatabaseAsync();
        await using var a = await AuthService.OpenAsync(Options(DataDir("a"), "auth-a", conn, KeyFile("ca.key")), new CapturingAuditSink());

        var stored = await a.Backend.GetAsync(BackendKeys.CertificateAuthority(CaKind.User));
        var text = System.Text.Encoding.UTF8.GetString(stored!.Value);
        var signing = a.Authority.Ring(CaKind.User).Signing;
        var pkcs8 = Convert.ToBase64String(signing.PrivateKey.ExportPkcs8PrivateKey());
        var scalar = Convert.ToBase64String(signing.PrivateKey.ExportParameters(includePrivateParameters: true).D!);
        Assert.DoesNotContain(pkcs8, text, StringComparison.Ordinal);
        Assert.DoesNotContain(scalar, text, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", text, StringComparison.Ordinal);
        Assert.StartsWith("ferry-ca-ring 1\nsigning " + signing.Id + " ", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongEncryptionKey_IsRefusedAtStart_AndNoCaIsCreatedOrChanged()
    {
        var conn = await pg.NewDatabaseAsync();
        await using var a = await AuthService.OpenAsync(Options(DataDir("a"), "auth-a", conn, KeyFile("right.key")), new CapturingAuditSink());
        var before = await a.Backend.RangeAsync(BackendKeys.CertificateAuthorities);

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => AuthService.OpenAsync(Options(DataDir("b"), "auth-b", conn, KeyFile("wrong.key")), new CapturingAuditSink()));

        Assert.Contains("does not decrypt with the CA encryption key from file " + Path.Combine(_dir.Path, "wrong.key"), e.Message, StringComparison.Ordinal);
        Assert.Contains("AES-GCM authentication failed", e.Message, StringComparison.Ordinal);
        var after = await a.Backend.RangeAsync(BackendKeys.CertificateAuthorities);
        Assert.Equal(before.Select(i => (i.Key, i.Revision)), after.Select(i => (i.Key, i.Revision)));
    }

    [Fact]
    public async Task MissingEncryptionKey_IsAClearErrorNamingTheSetting()
    {
        var conn = await pg.NewDatabaseAsync();
        var options = Options(DataDir("a"), "auth-a", conn, "unused");
        var withoutKey = new AuthServiceOptions { DataDir = options.DataDir, ClusterName = "test", SweepAccessRequests = false, Backend = options.Backend with { CaKeyEncryption = null } };

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => AuthService.OpenAsync(withoutKey, new CapturingAuditSink()));
        Assert.Contains("auth.ca_key_encryption", e.Message, StringComparison.Ordinal);

        var variable = "FERRY_TEST_UNSET_" + Guid.NewGuid().ToString("N");
        var fromEnv = new AuthServiceOptions { DataDir = options.DataDir, ClusterName = "test", SweepAccessRequests = false, Backend = options.Backend with { CaKeyEncryption = new CaKeyEncryptionConfig { KeyEnv = variable } } };
        var unset = await Assert.ThrowsAsync<InvalidOperationException>(() => AuthService.OpenAsync(fromEnv, new CapturingAuditSink()));
        Assert.Contains(variable, unset.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotation_StartedOnA_IsFollowedByB()
    {
        var conn = await pg.NewDatabaseAsync();
        var key = KeyFile("ca.key");
        await using var a = await AuthService.OpenAsync(Options(DataDir("a"), "auth-a", conn, key), new CapturingAuditSink());
        await using var b = await AuthService.OpenAsync(Options(DataDir("b"), "auth-b", conn, key), new CapturingAuditSink());
        var old = Assert.Single(b.Authority.GetKeys(CaKind.User)).Id;

        var added = await a.Authority.AddKeyAsync(CaKind.User);
        await WaitForPhaseAsync(b, CaRotationPhase.Added);
        Assert.Contains(b.Authority.GetKeys(CaKind.User), k => k.Id == added.Id && k.Status == CaKeyStatus.Pending);

        // A rotation step on B while A would repeat it is refused (one phase at a time, through the backend).
        await Assert.ThrowsAsync<InvalidOperationException>(() => b.Authority.AddKeyAsync(CaKind.User));

        await a.Authority.SwitchSigningKeyAsync(CaKind.User);
        await WaitForPhaseAsync(b, CaRotationPhase.Switched);
        using var pair = KeyPair.Generate();
        using var fromB = b.Issuer.IssueUserCertificate(pair.ToClientPublicKey(), Alice(), TimeSpan.FromHours(1), TimeSpan.FromHours(1)).ToX509Certificate2();
        Assert.Contains(added.Id.ToUpperInvariant(), Convert.ToHexString(fromB.Extensions.OfType<System.Security.Cryptography.X509Certificates.X509AuthorityKeyIdentifierExtension>().Single().KeyIdentifier!.Value.Span), StringComparison.Ordinal);
        Assert.True(a.UserVerifier.VerifyUser(fromB).IsValid);

        await b.Authority.RetireOldKeysAsync(CaKind.User);
        await WaitForPhaseAsync(a, CaRotationPhase.Standby);
        Assert.DoesNotContain(a.Authority.GetKeys(CaKind.User), k => k.Id == old);
        Assert.True(a.UserVerifier.VerifyUser(fromB).IsValid);
    }

    [Fact]
    public async Task ChangeMadeRightAfterTheFirstReread_IsStillFollowed()
    {
        var conn = await pg.NewDatabaseAsync();
        var key = KeyFile("ca.key");
        await using var a = await AuthService.OpenAsync(Options(DataDir("a"), "auth-a", conn, key), new CapturingAuditSink());
        var madeOnA = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = Options(DataDir("b"), "auth-b", conn, key);
        var withHook = new AuthServiceOptions
        {
            DataDir = options.DataDir,
            ClusterName = options.ClusterName,
            ServerId = options.ServerId,
            SweepAccessRequests = false,
            Backend = options.Backend,
            AfterSharedCaSnapshot = async ct =>
            {
                // B has reread the CAs but not yet begun to follow: the rotation step lands in exactly that gap.
                var added = await a.Authority.AddKeyAsync(CaKind.User, ct);
                madeOnA.SetResult(added.Id);
            },
        };

        await using var b = await AuthService.OpenAsync(withHook, new CapturingAuditSink());
        var id = await madeOnA.Task.WaitAsync(TimeSpan.FromSeconds(60));

        await WaitForPhaseAsync(b, CaRotationPhase.Added);
        Assert.Contains(b.Authority.GetKeys(CaKind.User), k => k.Id == id && k.Status == CaKeyStatus.Pending);
    }

    private static async Task WaitForPhaseAsync(AuthService service, CaRotationPhase phase)
    {
        // Bounded wait for the watch to deliver the change (not a timing assertion: the change must arrive).
        for (var i = 0; i < 600 && service.Authority.GetRotationPhase(CaKind.User) != phase; i++)
        {
            await Task.Delay(50);
        }

        Assert.Equal(phase, service.Authority.GetRotationPhase(CaKind.User));
    }

    [Fact]
    public async Task ExistingCaFiles_AreImportedByTheFirstServer()
    {
        var conn = await pg.NewDatabaseAsync();
        var dataDir = DataDir("files");
        using (var files = CertificateAuthorityStore.OpenOrCreate(dataDir, "test"))
        {
            var expected = Kinds.Select(k => files.GetKeys(k).Single().Id).ToArray();
            await using var a = await AuthService.OpenAsync(Options(dataDir, "auth-a", conn, KeyFile("ca.key")), new CapturingAuditSink());
            Assert.Equal(expected, Kinds.Select(k => a.Authority.GetKeys(k).Single().Id).ToArray());
        }
    }

    private static UserIdentity Alice() => new()
    {
        User = "alice",
        ClusterName = "test",
        Roles = ["dev"],
        NotBefore = DateTimeOffset.UtcNow.AddMinutes(-1),
        NotAfter = DateTimeOffset.UtcNow.AddHours(1),
    };
}
