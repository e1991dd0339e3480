using System.Security.Cryptography;
using Ferry.Auth.Sso;
using Ferry.Contracts;

namespace Ferry.Auth.Tests.Sso;

public sealed class SsoPendingLoginsTests
{
    private static readonly byte[] Secret = RandomNumberGenerator.GetBytes(32);

    private static PendingSsoLogin Login(ManualClock clock, string source = "10.0.0.1", string? id = null) => new()
    {
        RequestId = id ?? Guid.NewGuid().ToString("N"),
        State = Base64Url.Random(32),
        Nonce = "n",
        CodeVerifier = "v",
        Connector = "idp",
        ClientRedirect = "http://127.0.0.1:5000/callback",
        SecretSha256 = SHA256.HashData(Secret),
        PublicKeyPem = "",
        Source = source,
        ClientAddr = source,
        Started = clock.Now,
        Expires = clock.Now + SsoPendingLogins.LoginLifetime,
    };

    [Fact]
    public void TakeState_IsSingleUse()
    {
        var clock = ManualClock.AtNow();
        var store = new SsoPendingLogins(clock);
        var login = Login(clock);
        Assert.True(store.TryAdd(login));

        Assert.Same(login, store.TakeState(login.State));
        Assert.Null(store.TakeState(login.State));
    }

    [Fact]
    public void TakeState_AfterTenMinutes_FindsNothing()
    {
        var clock = ManualClock.AtNow();
        var store = new SsoPendingLogins(clock);
        var login = Login(clock);
        store.TryAdd(login);

        clock.Advance(SsoPendingLogins.LoginLifetime + TimeSpan.FromSeconds(1));

        Assert.Null(store.TakeState(login.State));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void Result_GoesOnceToTheSecretHolder_AndAWrongSecretDoesNotSpoilIt()
    {
        var clock = ManualClock.AtNow();
        var store = new SsoPendingLogins(clock);
        var login = Login(clock);
        store.TryAdd(login);

        Assert.Equal(SsoPendingLogins.Outcome.NotFinished, store.TryTakeResult(login.RequestId, Secret, out _));
        store.Complete(store.TakeState(login.State)!, new UserCertificateResponse { CertificatePem = "x" }, null);

        Assert.Equal(SsoPendingLogins.Outcome.WrongSecret, store.TryTakeResult(login.RequestId, new byte[32], out _));
        Assert.Equal(SsoPendingLogins.Outcome.Done, store.TryTakeResult(login.RequestId, Secret, out var taken));
        Assert.Equal("x", taken!.Result!.CertificatePem);
        Assert.Equal(SsoPendingLogins.Outcome.Unknown, store.TryTakeResult(login.RequestId, Secret, out _));
    }

    [Fact]
    public void Result_ExpiresFiveMinutesAfterTheCallback()
    {
        var clock = ManualClock.AtNow();
        var store = new SsoPendingLogins(clock);
        var login = Login(clock);
        store.TryAdd(login);
        store.Complete(store.TakeState(login.State)!, new UserCertificateResponse(), null);

        clock.Advance(SsoPendingLogins.ResultLifetime + TimeSpan.FromSeconds(1));

        Assert.Equal(SsoPendingLogins.Outcome.Unknown, store.TryTakeResult(login.RequestId, Secret, out _));
    }

    [Fact]
    public void TryAdd_CapsEachSourceAndTheWhole_WithoutBlockingOtherSources()
    {
        var clock = ManualClock.AtNow();
        var store = new SsoPendingLogins(clock, capacity: 5, perSource: 2);

        Assert.True(store.TryAdd(Login(clock, "a")));
        Assert.True(store.TryAdd(Login(clock, "a")));
        Assert.False(store.TryAdd(Login(clock, "a")));
        Assert.True(store.TryAdd(Login(clock, "b")));
        Assert.True(store.TryAdd(Login(clock, "c")));
        Assert.True(store.TryAdd(Login(clock, "d")));
        Assert.False(store.TryAdd(Login(clock, "e")));

        clock.Advance(SsoPendingLogins.LoginLifetime);
        Assert.True(store.TryAdd(Login(clock, "a")));
    }

    [Fact]
    public void RateLimiter_RefusesPastTheWindowBudget_PerSource()
    {
        var clock = ManualClock.AtNow();
        var limiter = new SsoRateLimiter(clock, 3, TimeSpan.FromMinutes(1));

        Assert.Null(limiter.Take("a"));
        Assert.Null(limiter.Take("a"));
        Assert.Null(limiter.Take("a"));
        Assert.NotNull(limiter.Take("a"));
        Assert.Null(limiter.Take("b"));
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Null(limiter.Take("a"));
    }
}
