using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using Ferry.Identity;

namespace Ferry.Benchmarks.Identity;

/// <summary>Verifications per second: Ferry's direct check against the trusted keys, and the platform chain engine for comparison.</summary>
[MemoryDiagnoser]
public class IdentityVerifyBenchmarks
{
    private string _directory = "";
    private CertificateAuthorityStore _store = null!;
    private IdentityVerifier _userVerifier = null!;
    private IdentityVerifier _hostVerifier = null!;
    private X509Certificate2 _user = null!;
    private X509Certificate2 _host = null!;
    private byte[] _userDer = [];
    private X509ChainPolicy _chainPolicy = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "ferry-bench-" + Guid.NewGuid().ToString("N"));
        _store = CertificateAuthorityStore.OpenOrCreate(_directory, "bench");
        _store.AddKey(CaKind.User); // two trusted keys, as during a rotation
        var issuer = new CertificateIssuer(_store);
        using var key = KeyPair.Generate();
        _user = issuer.IssueUserCertificate(key.ToClientPublicKey(), new UserIdentity
        {
            User = "alice",
            ClusterName = "bench",
            Roles = ["developer", "auditor"],
            Traits = new Dictionary<string, IReadOnlyList<string>> { ["db_users"] = ["alice", "readonly"], ["db_names"] = ["app"] },
            Route = new DatabaseRoute("orders-db", DatabaseProtocol.Postgres, "readonly", "app"),
            AccessRequestIds = ["req-1"],
            MfaVerified = true,
        }, TimeSpan.FromHours(8), TimeSpan.FromHours(12)).ToX509Certificate2();
        _host = issuer.IssueHostCertificate(key.ToClientPublicKey(), HostRole.Proxy, "proxy-1", ["proxy.example.com"], [System.Net.IPAddress.Loopback], TimeSpan.FromHours(8)).ToX509Certificate2();
        _userDer = _user.RawData;
        _userVerifier = _store.CreateVerifier(CaKind.User);
        _hostVerifier = _store.CreateVerifier(CaKind.Host);
        _chainPolicy = _userVerifier.CreateChainPolicy();
        if (!_userVerifier.VerifyUser(_user).IsValid || !_hostVerifier.VerifyHost(_host).IsValid)
        {
            throw new InvalidOperationException("benchmark certificates do not verify");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _user.Dispose();
        _host.Dispose();
        _store.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "VerifyUser (DER)")]
    public bool VerifyUser() => _userVerifier.VerifyUser(_userDer).IsValid;

    [Benchmark(Description = "VerifyHost (X509Certificate2)")]
    public bool VerifyHost() => _hostVerifier.VerifyHost(_host).IsValid;

    [Benchmark(Description = "X509Chain custom root (reference)")]
    public bool PlatformChain()
    {
        using var chain = new X509Chain { ChainPolicy = _chainPolicy.Clone() };
        return chain.Build(_user);
    }
}
