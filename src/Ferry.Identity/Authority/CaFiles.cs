using System.Text;
using Ferry.Text;

namespace Ferry.Identity;

/// <summary>
/// On-disk layout of the CAs, all files mode 0600 in directories mode 0700:
/// <code>
/// &lt;data&gt;/ca/&lt;kind&gt;/state            one line per trusted key: "&lt;signing|pending|previous&gt; &lt;key id&gt;"
/// &lt;data&gt;/ca/&lt;kind&gt;/&lt;id&gt;.key.pem     PKCS#8 private key ("PRIVATE KEY")
/// &lt;data&gt;/ca/&lt;kind&gt;/&lt;id&gt;.cert.pem    self-signed CA certificate
/// </code>
/// The state file is replaced atomically (write temporary file, rename), after the key files exist.
/// </summary>
internal static class CaFiles
{
    public const UnixFileMode FileMode0600 = OwnerOnlyFiles.FileMode0600;
    public const UnixFileMode DirectoryMode0700 = OwnerOnlyFiles.DirectoryMode0700;

    public static string KindDirectory(string dataDirectory, CaKind kind) => Path.Combine(dataDirectory, "ca", kind.ToName());

    public static string StatePath(string dir) => Path.Combine(dir, "state");

    public static string KeyPath(string dir, string id) => Path.Combine(dir, id + ".key.pem");

    public static string CertificatePath(string dir, string id) => Path.Combine(dir, id + ".cert.pem");

    public static void EnsureDirectory(string path) => OwnerOnlyFiles.CreateDirectory(path);

    /// <summary>Writes a file with mode 0600 from the start (never briefly readable by others), atomically replacing any old one.</summary>
    public static void WritePrivate(string path, string contents)
    {
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode0600;
        }

        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(Encoding.UTF8.GetBytes(contents));
            stream.Flush(flushToDisk: true);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, FileMode0600); // in case an old .tmp with another mode existed
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Reads a file that must not be readable by group or others (like ssh does for private keys).</summary>
    public static string ReadPrivate(string path)
    {
        OwnerOnlyFiles.Check(path, "CA file");
        return File.ReadAllText(path);
    }

    public static string FormatState(IEnumerable<CaKeyEntry> keys)
    {
        var text = new StringBuilder("# Ferry CA keys: <signing|pending|previous> <key id>\n");
        foreach (var key in keys)
        {
            text.Append(StatusName(key.Status)).Append(' ').Append(key.Id).Append('\n');
        }

        return text.ToString();
    }

    public static List<(CaKeyStatus Status, string Id)> ParseState(string path, string text)
    {
        var result = new List<(CaKeyStatus, string)>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2 || !TryParseStatus(parts[0], out var status) || !IsKeyId(parts[1]))
            {
                throw new InvalidOperationException($"CA state file {path} has an invalid line \"{line}\": restore it from backup");
            }

            result.Add((status, parts[1]));
        }

        if (result.Count(k => k.Item1 == CaKeyStatus.Signing) != 1)
        {
            throw new InvalidOperationException($"CA state file {path} must name exactly one signing key: restore it from backup");
        }

        return result;
    }

    internal static bool IsKeyId(string id) => id.Length is > 0 and <= 128 && id.All(char.IsAsciiHexDigitLower);

    internal static string StatusName(CaKeyStatus status) => status switch
    {
        CaKeyStatus.Signing => "signing",
        CaKeyStatus.Pending => "pending",
        _ => "previous",
    };

    internal static bool TryParseStatus(string name, out CaKeyStatus status)
    {
        status = name switch
        {
            "signing" => CaKeyStatus.Signing,
            "pending" => CaKeyStatus.Pending,
            "previous" => CaKeyStatus.Previous,
            _ => (CaKeyStatus)(-1),
        };
        return (int)status >= 0;
    }
}
