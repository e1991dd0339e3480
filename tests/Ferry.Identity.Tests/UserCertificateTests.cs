using System.Security.Cryptography.X509Certificates;

namespace Ferry.Identity.Tests;

public sealed class UserCertificateTests
{
    [Fact]
    public void IssueThenVerify_RoundTripsEveryIdentityField()
    {
        using var ca = new TestAuthority();
        var sent = TestAuthority.Alice();
        using var certificate = ca.IssueUser(sent);

        var result = ca.Store.CreateVerifier(CaKind.User).VerifyUser(certificate);

        Assert.True(result.IsValid, result.Message);
        var got = result.Identity;
        Assert.Equal("alice", got.User);
        Assert.Equal("test-cluster", got.ClusterName);
        Assert.Equal(["developer", "auditor"], got.Roles);
        Assert.Equal(3, got.Traits.Count);
        Assert.Equal(["alice", "readonly"], got.Traits["db_users"]);
        Assert.Equal(["app", "analytics"], got.Traits["db_names"]);
        Assert.Empty(got.Traits["empty"]);
        Assert.Equal(new DatabaseRoute("orders-db", DatabaseProtocol.Postgres, "readonly", "app"), got.Route);
        Assert.Equal(["req-1", "req-2"], got.AccessRequestIds);
        Assert.True(got.MfaVerified);
        Assert.Equal(new DateTimeOffset(certificate.NotAfter.ToUniversalTime()), got.NotAfter);
        Assert.Equal(certificate.SerialNumber, got.SerialNumber, ignoreCase: true);
    }

    [Fact]
    public void IssueThenVerify_WithoutRouteAndWithMySqlRoute_RoundTrips()
    {
        using var ca = new TestAuthority();
        var verifier = ca.Store.CreateVerifier(CaKind.User);
        var bare = new UserIdentity { User = "bob", ClusterName = "test-cluster" };
        var mysql = new UserIdentity
        {
            User = "карл 🚀",
            ClusterName = "test-cluster",
            Route = new DatabaseRoute("maria", DatabaseProtocol.MySql, "", ""),
        };

        using var bareCert = ca.IssueUser(bare);
        using var mysqlCert = ca.IssueUser(mysql);
        var bareResult = verifier.VerifyUser(bareCert);
        var mysqlResult = verifier.VerifyUser(mysqlCert);

        Assert.True(bareResult.IsValid, bareResult.Message);
        Assert.Null(bareResult.Identity.Route);
        Assert.Empty(bareResult.Identity.Roles);
        Assert.Empty(bareResult.Identity.Traits);
        Assert.Empty(bareResult.Identity.AccessRequestIds);
        Assert.False(bareResult.Identity.MfaVerified);
        Assert.True(mysqlResult.IsValid, mysqlResult.Message);
        Assert.Equal("карл 🚀", mysqlResult.Identity.User);
        Assert.Equal(DatabaseProtocol.MySql, mysqlResult.Identity.Route!.Protocol);
    }

    [Fact]
    public void Issue_SubjectIsExactlyCommonNameAndExtensionIsNonCritical()
    {
        using var ca = new TestAuthority();
        using var certificate = ca.IssueUser();

        Assert.Equal("CN=alice", certificate.Subject);
        var extension = Assert.Single(certificate.Extensions, e => e.Oid!.Value == IdentityOids.UserIdentityExtension);
        Assert.False(extension.Critical);
        var eku = Assert.Single(certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>());
        Assert.Equal(IdentityOids.ClientAuth, Assert.Single(eku.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>()).Value);
        Assert.False(Assert.Single(certificate.Extensions.OfType<X509BasicConstraintsExtension>()).CertificateAuthority);
    }

    [Fact]
    public void Issue_BackdatesNotBeforeOneMinute()
    {
        using var ca = new TestAuthority();
        using var certificate = ca.IssueUser();

        var expected = ca.Clock.GetUtcNow().AddMinutes(-1);
        Assert.InRange(new DateTimeOffset(certificate.NotBefore.ToUniversalTime()), expected.AddSeconds(-1), expected.AddSeconds(1));
    }

    [Theory]
    [InlineData(1, 8, 1)]
    [InlineData(12, 8, 8)]
    [InlineData(8, 8, 8)]
    public void Issue_NotAfterIsTheSmallerOfRequestedTtlAndRoleCap(int requestedHours, int capHours, int expectedHours)
    {
        using var ca = new TestAuthority();
        using var key = KeyPair.Generate();

        using var certificate = ca.Issuer.IssueUserCertificate(key.ToClientPublicKey(), TestAuthority.Alice(), TimeSpan.FromHours(requestedHours), TimeSpan.FromHours(capHours)).ToX509Certificate2();

        var expected = ca.Clock.GetUtcNow().AddHours(expectedHours);
        Assert.InRange(new DateTimeOffset(certificate.NotAfter.ToUniversalTime()), expected.AddSeconds(-1), expected.AddSeconds(1));
    }

    [Fact]
    public void Issue_TtlBeyondTheCaExpiry_IsClampedToTheCaNotAfter()
    {
        using var ca = new TestAuthority();
        using var key = KeyPair.Generate();

        var issued = ca.Issuer.IssueUserCertificate(key.ToClientPublicKey(), TestAuthority.Alice(), TimeSpan.FromDays(365 * 30), TimeSpan.FromDays(365 * 30));

        Assert.Equal(ca.Store.GetTrustedRoots(CaKind.User)[0].NotAfter.ToUniversalTime(), issued.NotAfter.UtcDateTime);
        Assert.True(ca.Store.CreateVerifier(CaKind.User).VerifyUser(issued.Der).IsValid);
    }

    [Fact]
    public void IssuedCertificate_ReportsWhatTheCertificateSays()
    {
        using var ca = new TestAuthority();
        using var key = KeyPair.Generate();

        var issued = ca.Issuer.IssueUserCertificate(key.ToClientPublicKey(), TestAuthority.Alice(), TimeSpan.FromHours(2), TimeSpan.FromHours(8));
        using var parsed = X509Certificate2.CreateFromPem(issued.ToPem());

        Assert.Equal(parsed.SerialNumber, issued.SerialNumber, ignoreCase: true);
        Assert.Equal(parsed.NotBefore.ToUniversalTime(), issued.NotBefore.UtcDateTime);
        Assert.Equal(parsed.NotAfter.ToUniversalTime(), issued.NotAfter.UtcDateTime);
        Assert.Equal(issued.Der.ToArray(), parsed.RawData);
    }

    [Fact]
    public void Issue_IdentityOverTheLimit_IsRefused()
    {
        using var ca = new TestAuthority();
        var huge = new UserIdentity
        {
            User = "alice",
            ClusterName = "c",
            Roles = [.. Enumerable.Range(0, 2000).Select(i => "role-number-" + i)],
        };

        var error = Assert.Throws<InvalidCertificateRequestException>(() => ca.IssueUser(huge));
        Assert.Contains("limit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Issue_EmptyUserName_IsRefused()
    {
        using var ca = new TestAuthority();

        Assert.Throws<InvalidCertificateRequestException>(() => ca.IssueUser(new UserIdentity { User = "", ClusterName = "c" }));
    }

    [Fact]
    public void Encode_TraitsInAnyInsertionOrder_GiveIdenticalBytes()
    {
        var a = new UserIdentity
        {
            User = "u",
            ClusterName = "c",
            Traits = new Dictionary<string, IReadOnlyList<string>> { ["b"] = ["1"], ["a"] = ["2"] },
        };
        var b = new UserIdentity
        {
            User = "u",
            ClusterName = "c",
            Traits = new Dictionary<string, IReadOnlyList<string>> { ["a"] = ["2"], ["b"] = ["1"] },
        };

        Assert.Equal(UserIdentityExtension.Encode(a), UserIdentityExtension.Encode(b));
    }

    [Fact]
    public void Decode_EveryTruncationOfAValidEncoding_IsRejected()
    {
        var der = UserIdentityExtension.Encode(TestAuthority.Alice());
        Assert.True(UserIdentityExtension.TryDecode(der, default, default, "", out _));

        for (var length = 0; length < der.Length; length++)
        {
            Assert.False(UserIdentityExtension.TryDecode(der.AsMemory(0, length), default, default, "", out _), $"prefix of {length} bytes decoded");
        }
    }

    [Fact]
    public void IssueThenVerify_SsoConnector_RoundTrips()
    {
        using var ca = new TestAuthority();
        var sso = new UserIdentity { User = "alice@example.com", ClusterName = "test-cluster", Connector = "okta" };

        using var certificate = ca.IssueUser(sso);
        var result = ca.Store.CreateVerifier(CaKind.User).VerifyUser(certificate);

        Assert.True(result.IsValid, result.Message);
        Assert.Equal("okta", result.Identity.Connector);
    }

    [Fact]
    public void Decode_LocalUserEncoding_HasNoConnectorAndSsoEncodingIsOnlyLonger()
    {
        var alice = TestAuthority.Alice();
        var local = UserIdentityExtension.Encode(alice);
        var sso = UserIdentityExtension.Encode(new UserIdentity { User = alice.User, ClusterName = alice.ClusterName, Connector = "dex" });
        var bare = UserIdentityExtension.Encode(new UserIdentity { User = alice.User, ClusterName = alice.ClusterName });

        Assert.True(UserIdentityExtension.TryDecode(local, default, default, "", out var decodedLocal));
        Assert.Equal("", decodedLocal!.Connector);
        Assert.True(UserIdentityExtension.TryDecode(sso, default, default, "", out var decodedSso));
        Assert.Equal("dex", decodedSso!.Connector);
        Assert.Equal(bare.Length + 5, sso.Length); // one appended UTF8String "dex" (tag, length, 3 bytes)
    }

    [Fact]
    public void ResourceIds_RoundTrip_WithAndWithoutConnector_AndOlderEncodingsReadAsEmpty()
    {
        using var ca = new TestAuthority();
        var limited = new UserIdentity { User = "alice", ClusterName = "test-cluster", AccessRequestIds = ["3f0c3a5e-1b2c-4d5e-8f90-0123456789ab"], ResourceIds = ["db/orders-prod"] };
        var ssoLimited = new UserIdentity { User = "erin", ClusterName = "test-cluster", Connector = "okta", ResourceIds = ["db/a", "db/b"] };

        using var certificate = ca.IssueUser(limited);
        var result = ca.Store.CreateVerifier(CaKind.User).VerifyUser(certificate);
        Assert.True(result.IsValid, result.Message);
        Assert.Equal(["db/orders-prod"], result.Identity.ResourceIds);
        Assert.Equal("", result.Identity.Connector);

        Assert.True(UserIdentityExtension.TryDecode(UserIdentityExtension.Encode(ssoLimited), default, default, "", out var sso));
        Assert.Equal("okta", sso!.Connector);
        Assert.Equal(["db/a", "db/b"], sso.ResourceIds);
        Assert.True(UserIdentityExtension.TryDecode(UserIdentityExtension.Encode(TestAuthority.Alice()), default, default, "", out var old));
        Assert.Empty(old!.ResourceIds);

        // An empty appended list is not canonical (the writer leaves it out): refused.
        var bare = UserIdentityExtension.Encode(new UserIdentity { User = "alice", ClusterName = "test-cluster" });
        var withEmpty = bare[..^0].ToList();
        withEmpty.AddRange([0x30, 0x00]);
        withEmpty[1] = (byte)(withEmpty[1] + 2);
        Assert.False(UserIdentityExtension.TryDecode(withEmpty.ToArray(), default, default, "", out _));
    }
}
