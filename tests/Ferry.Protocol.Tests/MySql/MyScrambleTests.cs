using System.Text;
using Ferry.Protocol.MySql.Auth;

namespace Ferry.Protocol.Tests.MySql;

/// <summary>Vectors computed independently (Python hashlib) and MySQL's well-known PASSWORD('password') hash.</summary>
public sealed class MyScrambleTests
{
    private static readonly byte[] Nonce = Enumerable.Range(1, 20).Select(i => (byte)i).ToArray();

    [Theory]
    [InlineData("password", "C17D6009A5CB47E59F7483FCF05553BBBF7DD0D6")]
    [InlineData("secret-é", "5400140088E2BF5EEE9E99050B6953A7E4C45CCD")]
    public void NativePassword_MatchesKnownVector(string password, string expected)
    {
        byte[] response = new byte[20];
        Assert.Equal(20, MySqlScramble.NativePassword(Encoding.UTF8.GetBytes(password), Nonce, response));
        Assert.Equal(expected, Convert.ToHexString(response));
    }

    [Theory]
    [InlineData("password", "F7AB1C623A6E98DCEAB35E926290E5746A3141116115F4DD8CCCA994393ECCDD")]
    [InlineData("secret-é", "2EB7A201B35F378BEEC3CA3433131E903EE7EA994E5113E3F3F405B6D3B85BF3")]
    public void CachingSha2Password_MatchesKnownVector(string password, string expected)
    {
        byte[] response = new byte[32];
        Assert.Equal(32, MySqlScramble.CachingSha2Password(Encoding.UTF8.GetBytes(password), Nonce, response));
        Assert.Equal(expected, Convert.ToHexString(response));
    }

    [Fact]
    public void EmptyPassword_GivesEmptyResponse()
    {
        Assert.Equal(0, MySqlScramble.NativePassword([], Nonce, new byte[20]));
        Assert.Equal(0, MySqlScramble.CachingSha2Password([], Nonce, new byte[32]));
    }

    [Fact]
    public void VerifyNativePassword_AcceptsTheRightResponseAgainstMysqlsStoredHash()
    {
        // mysql.user.authentication_string for 'password' is *2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19.
        byte[] stored = Convert.FromHexString("2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19");
        byte[] response = Convert.FromHexString("C17D6009A5CB47E59F7483FCF05553BBBF7DD0D6");
        Assert.True(MySqlScramble.VerifyNativePassword(stored, Nonce, response));
        response[0] ^= 1;
        Assert.False(MySqlScramble.VerifyNativePassword(stored, Nonce, response));
    }
}
