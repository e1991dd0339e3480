using System.Security.Cryptography;
using System.Text;
using Ferry.Text;

namespace Ferry.Identity;

/// <summary>
/// The AES-256-GCM key that seals CA private keys kept in a shared backend (<c>auth.ca_key_encryption</c>).
/// Read from a file (mode 0600) or an environment variable holding 32 bytes in base64
/// (<c>openssl rand -base64 32</c>). Sealed form: 12-byte random nonce, ciphertext, 16-byte tag; the
/// associated data binds each sealed key to its cluster, CA kind and key id, so a sealed key cannot be
/// moved to another slot. The key bytes are never logged nor put into an error message.
/// </summary>
public sealed class CaKeyEncryptionKey : IDisposable
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key;

    private CaKeyEncryptionKey(byte[] key, string source)
    {
        _key = key;
        Source = source;
    }

    /// <summary>Where the key came from, for error messages ("file /etc/ferry/ca.key", "environment variable X").</summary>
    public string Source { get; }

    /// <summary>Reads the key from a file that only its owner may read.</summary>
    /// <exception cref="InvalidOperationException">Missing, readable by others, or not 32 bytes of base64.</exception>
    public static CaKeyEncryptionKey FromFile(string path)
    {
        var source = "file " + path;
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"auth.ca_key_encryption.key_file {path} does not exist: create it with `openssl rand -base64 32 > {path}; chmod 600 {path}` on the first auth server and copy it to the others");
        }

        OwnerOnlyFiles.Check(path, "CA encryption key file");
        return Parse(File.ReadAllText(path), source);
    }

    /// <summary>Reads the key from an environment variable.</summary>
    /// <exception cref="InvalidOperationException">Unset, or not 32 bytes of base64.</exception>
    public static CaKeyEncryptionKey FromEnvironment(string variable)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException($"auth.ca_key_encryption.key_env names the environment variable {variable}, which is not set: set it to the cluster's CA encryption key (32 bytes in base64, `openssl rand -base64 32`)");
        }

        return Parse(value, "environment variable " + variable);
    }

    /// <summary>A key from its 32 bytes (tests, tools).</summary>
    public static CaKeyEncryptionKey FromBytes(ReadOnlySpan<byte> key, string source = "bytes")
    {
        if (key.Length != 32)
        {
            throw new ArgumentException("an AES-256 key is 32 bytes", nameof(key));
        }

        return new CaKeyEncryptionKey(key.ToArray(), source);
    }

    private static CaKeyEncryptionKey Parse(string text, string source)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(text.Trim());
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"the CA encryption key in {source} is not base64: it must hold 32 random bytes in base64 (`openssl rand -base64 32`)");
        }

        if (key.Length != 32)
        {
            CryptographicOperations.ZeroMemory(key);
            throw new InvalidOperationException($"the CA encryption key in {source} decodes to the wrong length (an AES-256 key is 32 bytes): generate one with `openssl rand -base64 32`");
        }

        return new CaKeyEncryptionKey(key, source);
    }

    /// <summary>Seals <paramref name="plaintext"/> bound to <paramref name="associatedData"/>: nonce ‖ ciphertext ‖ tag.</summary>
    public byte[] Seal(ReadOnlySpan<byte> plaintext, string associatedData)
    {
        var result = new byte[NonceSize + plaintext.Length + TagSize];
        var nonce = result.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plaintext, result.AsSpan(NonceSize, plaintext.Length), result.AsSpan(NonceSize + plaintext.Length), Encoding.UTF8.GetBytes(associatedData));
        return result;
    }

    /// <summary>Opens what <see cref="Seal"/> made.</summary>
    /// <exception cref="AuthenticationTagMismatchException">Another key sealed it, or it was altered or moved.</exception>
    public byte[] Open(ReadOnlySpan<byte> sealedData, string associatedData)
    {
        if (sealedData.Length < NonceSize + TagSize)
        {
            throw new AuthenticationTagMismatchException();
        }

        var length = sealedData.Length - NonceSize - TagSize;
        var plaintext = new byte[length];
        using var aes = new AesGcm(_key, TagSize);
        aes.Decrypt(sealedData[..NonceSize], sealedData.Slice(NonceSize, length), sealedData[(NonceSize + length)..], plaintext, Encoding.UTF8.GetBytes(associatedData));
        return plaintext;
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_key);
}
