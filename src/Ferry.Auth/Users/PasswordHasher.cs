using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;

namespace Ferry.Auth.Users;

/// <summary>
/// Argon2id password hashes in PHC string form: <c>$argon2id$v=19$m=19456,t=2,p=1$SALT$HASH</c> (unpadded base64).
/// Defaults follow the OWASP password storage cheat sheet's first Argon2id setting: 19 MiB of memory,
/// 2 iterations, 1 lane, 16-byte random salt, 32-byte output. Parameters are read back from the stored
/// string, so they can be raised later without invalidating existing hashes.
/// </summary>
internal static class PasswordHasher
{
    public const int DefaultMemoryKiB = 19 * 1024;
    public const int DefaultIterations = 2;
    public const int DefaultParallelism = 1;
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    /// <summary>A valid hash of a random password, verified against when the user does not exist (equal work either way).</summary>
    public static readonly string DummyHash = Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)));

    public static string Hash(string password, int memoryKiB = DefaultMemoryKiB, int iterations = DefaultIterations, int parallelism = DefaultParallelism)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Derive(password, salt, memoryKiB, iterations, parallelism, HashBytes);
        return string.Create(CultureInfo.InvariantCulture,
            $"$argon2id$v=19$m={memoryKiB},t={iterations},p={parallelism}${B64(salt)}${B64(hash)}");
    }

    /// <summary>Verifies in constant time with respect to the hash contents. A malformed stored hash never verifies.</summary>
    public static bool Verify(string password, string stored)
    {
        if (!TryParse(stored, out var m, out var t, out var p, out var salt, out var expected))
        {
            return false;
        }

        var actual = Derive(password, salt, m, t, p, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    private static byte[] Derive(string password, byte[] salt, int memoryKiB, int iterations, int parallelism, int length)
    {
        var parameters = new Argon2Parameters.Builder(Argon2Parameters.Argon2id)
            .WithVersion(Argon2Parameters.Version13)
            .WithMemoryAsKB(memoryKiB)
            .WithIterations(iterations)
            .WithParallelism(parallelism)
            .WithSalt(salt)
            .Build();
        var generator = new Argon2BytesGenerator();
        generator.Init(parameters);
        var output = new byte[length];
        var bytes = Encoding.UTF8.GetBytes(password);
        try
        {
            generator.GenerateBytes(bytes, output);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }

        return output;
    }

    private static bool TryParse(string stored, out int m, out int t, out int p, out byte[] salt, out byte[] hash)
    {
        m = t = p = 0;
        salt = hash = [];
        var parts = stored.Split('$');
        if (parts.Length != 6 || parts[1] != "argon2id" || parts[2] != "v=19")
        {
            return false;
        }

        foreach (var kv in parts[3].Split(','))
        {
            var eq = kv.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0 || !int.TryParse(kv.AsSpan(eq + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var v))
            {
                return false;
            }

            switch (kv[..eq])
            {
                case "m": m = v; break;
                case "t": t = v; break;
                case "p": p = v; break;
                default: return false;
            }
        }

        if (m is < 8 or > 4 * 1024 * 1024 || t is < 1 or > 100 || p is < 1 or > 64)
        {
            return false;
        }

        try
        {
            salt = FromB64(parts[4]);
            hash = FromB64(parts[5]);
        }
        catch (FormatException)
        {
            return false;
        }

        return salt.Length >= 8 && hash.Length >= 16;
    }

    private static string B64(byte[] data) => Convert.ToBase64String(data).TrimEnd('=');

    private static byte[] FromB64(string text) => Convert.FromBase64String(text.PadRight((text.Length + 3) / 4 * 4, '='));
}
