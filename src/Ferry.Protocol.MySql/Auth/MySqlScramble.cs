using System.Security.Cryptography;

namespace Ferry.Protocol.MySql.Auth;

/// <summary>
/// Client scrambles of the two common auth plugins.
/// <code>
///  mysql_native_password:  SHA1(password) XOR SHA1(nonce + SHA1(SHA1(password)))           (20 bytes)
///  caching_sha2_password:  SHA256(password) XOR SHA256(SHA256(SHA256(password)) + nonce)   (32 bytes)
/// </code>
/// An empty password gives an empty response for both. The nonce is the 20-byte scramble of the handshake
/// (without its trailing NUL).
/// </summary>
public static class MySqlScramble
{
    public const string NativePasswordPlugin = "mysql_native_password";
    public const string CachingSha2PasswordPlugin = "caching_sha2_password";

    /// <summary>Computes the mysql_native_password response; returns the bytes written (0 or 20).</summary>
    public static int NativePassword(ReadOnlySpan<byte> password, ReadOnlySpan<byte> nonce, Span<byte> destination)
    {
        if (password.IsEmpty)
        {
            return 0;
        }

        Span<byte> stage1 = stackalloc byte[SHA1.HashSizeInBytes];
        Span<byte> stage2 = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(password, stage1);
        SHA1.HashData(stage1, stage2);
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1))
        {
            hash.AppendData(nonce);
            hash.AppendData(stage2);
            hash.GetHashAndReset(destination);
        }

        Xor(destination.Slice(0, SHA1.HashSizeInBytes), stage1);
        CryptographicOperations.ZeroMemory(stage1);
        return SHA1.HashSizeInBytes;
    }

    /// <summary>
    /// Checks a mysql_native_password response against the stored hash SHA1(SHA1(password)) (the server side).
    /// </summary>
    public static bool VerifyNativePassword(ReadOnlySpan<byte> storedDoubleSha1, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> response)
    {
        if (response.Length != SHA1.HashSizeInBytes || storedDoubleSha1.Length != SHA1.HashSizeInBytes)
        {
            return false;
        }

        Span<byte> stage1 = stackalloc byte[SHA1.HashSizeInBytes];
        Span<byte> check = stackalloc byte[SHA1.HashSizeInBytes];
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1))
        {
            hash.AppendData(nonce);
            hash.AppendData(storedDoubleSha1);
            hash.GetHashAndReset(stage1);
        }

        Xor(stage1, response);
        SHA1.HashData(stage1, check);
        return CryptographicOperations.FixedTimeEquals(check, storedDoubleSha1);
    }

    /// <summary>Computes the caching_sha2_password fast-auth response; returns the bytes written (0 or 32).</summary>
    public static int CachingSha2Password(ReadOnlySpan<byte> password, ReadOnlySpan<byte> nonce, Span<byte> destination)
    {
        if (password.IsEmpty)
        {
            return 0;
        }

        Span<byte> stage1 = stackalloc byte[SHA256.HashSizeInBytes];
        Span<byte> stage2 = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(password, stage1);
        SHA256.HashData(stage1, stage2);
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            hash.AppendData(stage2);
            hash.AppendData(nonce);
            hash.GetHashAndReset(destination);
        }

        Xor(destination.Slice(0, SHA256.HashSizeInBytes), stage1);
        CryptographicOperations.ZeroMemory(stage1);
        return SHA256.HashSizeInBytes;
    }

    private static void Xor(Span<byte> target, ReadOnlySpan<byte> other)
    {
        for (int i = 0; i < target.Length; i++)
        {
            target[i] ^= other[i];
        }
    }
}
