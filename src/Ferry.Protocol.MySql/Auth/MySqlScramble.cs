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
    public static int NativePassword(ReadOnlySpan<byte> password, ReadOnlySpan<byte> nonce, Span<byte> destination) =>
        Scramble(HashAlgorithmName.SHA1, SHA1.HashSizeInBytes, nonceFirst: true, password, nonce, destination);

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
    public static int CachingSha2Password(ReadOnlySpan<byte> password, ReadOnlySpan<byte> nonce, Span<byte> destination) =>
        Scramble(HashAlgorithmName.SHA256, SHA256.HashSizeInBytes, nonceFirst: false, password, nonce, destination);

    /// <summary>
    /// HASH(password) XOR HASH(nonce + HASH(HASH(password))), or with the nonce last; both plugins' client
    /// scramble, differing only in the hash and the nonce's place.
    /// </summary>
    private static int Scramble(HashAlgorithmName algorithm, int hashSize, bool nonceFirst, ReadOnlySpan<byte> password, ReadOnlySpan<byte> nonce, Span<byte> destination)
    {
        if (password.IsEmpty)
        {
            return 0;
        }

        Span<byte> stage1 = stackalloc byte[hashSize];
        Span<byte> stage2 = stackalloc byte[hashSize];
        using (var hash = IncrementalHash.CreateHash(algorithm))
        {
            hash.AppendData(password);
            hash.GetHashAndReset(stage1);
            hash.AppendData(stage1);
            hash.GetHashAndReset(stage2);
            hash.AppendData(nonceFirst ? nonce : stage2);
            hash.AppendData(nonceFirst ? stage2 : nonce);
            hash.GetHashAndReset(destination);
        }

        Xor(destination.Slice(0, hashSize), stage1);
        CryptographicOperations.ZeroMemory(stage1);
        return hashSize;
    }

    private static void Xor(Span<byte> target, ReadOnlySpan<byte> other)
    {
        for (int i = 0; i < target.Length; i++)
        {
            target[i] ^= other[i];
        }
    }
}
