namespace Ferry.Identity.Tests;

/// <summary>Random corruption of inputs from the network must give a rejection, never an exception or an acceptance.</summary>
public sealed class MutationTests
{
    [Fact]
    public void VerifyUser_RandomlyCorruptedCertificates_AreRejectedWithoutThrowing()
    {
        using var ca = new TestAuthority();
        using var certificate = ca.IssueUser();
        var verifier = ca.Store.CreateVerifier(CaKind.User);
        var original = certificate.RawData;
        var random = new Random(20261123);

        for (var round = 0; round < 3000; round++)
        {
            var der = (byte[])original.Clone();
            var flips = random.Next(1, 4);
            for (var i = 0; i < flips; i++)
            {
                der[random.Next(der.Length)] ^= (byte)random.Next(1, 256);
            }

            if (der.AsSpan().SequenceEqual(original))
            {
                continue;
            }

            var result = verifier.VerifyUser(der);
            Assert.False(result.IsValid, $"round {round} accepted a corrupted certificate");
            Assert.NotEqual(VerificationFailure.None, result.Failure);
        }
    }

    [Fact]
    public void DecodeUserExtension_RandomlyCorruptedEncodings_NeverThrow()
    {
        var original = UserIdentityExtension.Encode(TestAuthority.Alice());
        var random = new Random(7);

        for (var round = 0; round < 5000; round++)
        {
            var der = (byte[])original.Clone();
            der[random.Next(der.Length)] ^= (byte)random.Next(1, 256);

            var exception = Record.Exception(() => UserIdentityExtension.TryDecode(der, default, default, "", out _));

            Assert.Null(exception);
        }
    }

    [Fact]
    public void DecodeHostExtension_RandomlyCorruptedEncodings_NeverThrow()
    {
        var original = HostIdentityExtension.Encode(HostRole.Proxy, "proxy-1", "cluster");
        var random = new Random(11);

        for (var round = 0; round < 3000; round++)
        {
            var der = (byte[])original.Clone();
            der[random.Next(der.Length)] ^= (byte)random.Next(1, 256);

            Assert.Null(Record.Exception(() => HostIdentityExtension.TryDecode(der, out _, out _, out _)));
        }
    }
}
