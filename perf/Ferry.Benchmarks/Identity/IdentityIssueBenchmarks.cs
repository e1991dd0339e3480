using BenchmarkDotNet.Attributes;
using Ferry.Identity;

namespace Ferry.Benchmarks.Identity;

/// <summary>Certificates issued per second by the user and db-client CAs (ECDSA P-256, SHA-256).</summary>
[MemoryDiagnoser]
public class IdentityIssueBenchmarks
{
    private string _directory = "";
    private CertificateAuthorityStore _store = null!;
    private CertificateIssuer _issuer = null!;
    private KeyPair _client = null!;
    private ClientPublicKey _key = null!;
    private byte[] _spki = [];
    private byte[] _csr = [];
    private UserIdentity _identity = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "ferry-bench-" + Guid.NewGuid().ToString("N"));
        _store = CertificateAuthorityStore.OpenOrCreate(_directory, "bench");
        _issuer = new CertificateIssuer(_store);
        _client = KeyPair.Generate();
        _key = _client.ToClientPublicKey();
        _spki = _client.ExportSubjectPublicKeyInfo();
        _csr = _client.CreateSigningRequest("alice");
        _identity = new UserIdentity
        {
            User = "alice",
            ClusterName = "bench",
            Roles = ["developer", "auditor"],
            Traits = new Dictionary<string, IReadOnlyList<string>> { ["db_users"] = ["alice", "readonly"], ["db_names"] = ["app"] },
            Route = new DatabaseRoute("orders-db", DatabaseProtocol.Postgres, "readonly", "app"),
            AccessRequestIds = ["req-1"],
            MfaVerified = true,
        };
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _store.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "user cert, parsed key")]
    public IssuedCertificate IssueUser() => _issuer.IssueUserCertificate(_key, _identity, TimeSpan.FromHours(8), TimeSpan.FromHours(12));

    [Benchmark(Description = "user cert from SPKI bytes")]
    public IssuedCertificate IssueUserFromSpki() =>
        _issuer.IssueUserCertificate(ClientPublicKey.FromSubjectPublicKeyInfo(_spki), _identity, TimeSpan.FromHours(8), TimeSpan.FromHours(12));

    [Benchmark(Description = "user cert from CSR (signature checked)")]
    public IssuedCertificate IssueUserFromCsr() =>
        _issuer.IssueUserCertificate(ClientPublicKey.FromCertificateSigningRequest(_csr), _identity, TimeSpan.FromHours(8), TimeSpan.FromHours(12));

    [Benchmark(Description = "db-client cert, parsed key")]
    public IssuedCertificate IssueDbClient() => _issuer.IssueDbClientCertificate(_key, "app_user", TimeSpan.FromHours(1));
}
