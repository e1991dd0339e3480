using System.Security.Cryptography;
using System.Text;

namespace Ferry.Identity;

/// <summary>
/// The stored form of one CA's key ring in a shared backend, one line per key after a version line:
/// <code>
/// ferry-ca-ring 1
/// &lt;signing|pending|previous&gt; &lt;key id&gt; &lt;certificate DER, base64&gt; &lt;sealed PKCS#8 private key, base64&gt;
/// </code>
/// The private key is sealed (<see cref="CaKeyEncryptionKey"/>) with associated data naming the cluster, CA kind
/// and key id. Nothing in this form is secret without the encryption key.
/// </summary>
internal static class SharedCaRing
{
    private const string Header = "ferry-ca-ring 1";

    public static string AssociatedData(string clusterName, CaKind kind, string id) => $"ferry-ca-key\n{clusterName}\n{kind.ToName()}\n{id}";

    public static byte[] Encode(string clusterName, CaKind kind, IEnumerable<CaKeyEntry> keys, CaKeyEncryptionKey encryption)
    {
        var text = new StringBuilder(Header).Append('\n');
        foreach (var key in keys)
        {
            var pkcs8 = key.PrivateKey.ExportPkcs8PrivateKey();
            try
            {
                var sealedKey = encryption.Seal(pkcs8, AssociatedData(clusterName, kind, key.Id));
                text.Append(CaFiles.StatusName(key.Status)).Append(' ').Append(key.Id).Append(' ')
                    .Append(Convert.ToBase64String(key.Certificate.RawData)).Append(' ')
                    .Append(Convert.ToBase64String(sealedKey)).Append('\n');
            }
            finally
            {
                CryptographicOperations.ZeroMemory(pkcs8);
            }
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>
    /// Decodes a stored ring; keys already held in <paramref name="known"/> (same id and certificate) are reused with
    /// their new status, others are opened with <paramref name="encryption"/>. The returned list says which are new.
    /// </summary>
    /// <exception cref="InvalidOperationException">Malformed ring, or a key that does not open with this encryption key (message names the fix).</exception>
    public static (CaKeyEntry[] Keys, List<CaKeyEntry> Opened) Decode(string clusterName, CaKind kind, byte[] value, CaKeyEncryptionKey encryption, IReadOnlyList<CaKeyEntry> known)
    {
        var where = $"the backend (the {kind.ToName()} CA)";
        var lines = Encoding.UTF8.GetString(value).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length < 2 || lines[0] != Header)
        {
            throw new InvalidOperationException($"the {kind.ToName()} CA in the backend is not in a format this ferryd reads ({Header}): upgrade ferryd or restore the backend from backup");
        }

        var keys = new List<CaKeyEntry>();
        var opened = new List<CaKeyEntry>();
        try
        {
            foreach (var line in lines.AsSpan(1))
            {
                var parts = line.Split(' ');
                if (parts.Length != 4 || !CaFiles.TryParseStatus(parts[0], out var status) || !CaFiles.IsKeyId(parts[1]))
                {
                    throw new InvalidOperationException($"the {kind.ToName()} CA in the backend has an invalid line: restore the backend from backup");
                }

                var certificateDer = Convert.FromBase64String(parts[2]);
                var existing = known.FirstOrDefault(k => k.Id == parts[1] && k.Certificate.RawData.AsSpan().SequenceEqual(certificateDer));
                if (existing is not null)
                {
                    keys.Add(existing.Status == status ? existing : existing.WithStatus(status));
                    continue;
                }

                byte[] pkcs8;
                try
                {
                    pkcs8 = encryption.Open(Convert.FromBase64String(parts[3]), AssociatedData(clusterName, kind, parts[1]));
                }
                catch (AuthenticationTagMismatchException)
                {
                    throw new InvalidOperationException(
                        $"the {kind.ToName()} CA key {parts[1]} in the backend does not decrypt with the CA encryption key from {encryption.Source} " +
                        $"(AES-GCM authentication failed, or the cluster name \"{clusterName}\" differs): configure auth.ca_key_encryption with the key the other auth servers use; no CA was created or changed");
                }

                try
                {
                    var entry = CaKeyFactory.FromParts(parts[1], status, certificateDer, pkcs8, where);
                    opened.Add(entry);
                    keys.Add(entry);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(pkcs8);
                }
            }

            if (keys.Count(k => k.Status == CaKeyStatus.Signing) != 1)
            {
                throw new InvalidOperationException($"the {kind.ToName()} CA in the backend must name exactly one signing key: restore the backend from backup");
            }
        }
        catch (FormatException)
        {
            Dispose(opened);
            throw new InvalidOperationException($"the {kind.ToName()} CA in the backend has invalid base64: restore the backend from backup");
        }
        catch
        {
            Dispose(opened);
            throw;
        }

        return ([.. keys], opened);
    }

    private static void Dispose(List<CaKeyEntry> entries)
    {
        foreach (var e in entries)
        {
            e.PrivateKey.Dispose();
        }
    }
}
