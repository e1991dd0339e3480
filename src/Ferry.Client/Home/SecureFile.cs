namespace Ferry.Client;

/// <summary>Writes files atomically (temporary file then rename) with owner-only permissions.</summary>
internal static class SecureFile
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates <paramref name="path"/> (and parents) with mode 0700 when missing.</summary>
    public static void EnsureDirectory(string path)
    {
        if (!Directory.Exists(path))
        {
            Directory.CreateDirectory(path, OwnerOnlyDirectory);
        }
    }

    /// <summary>Replaces <paramref name="path"/> with <paramref name="contents"/>, mode 0600 (or <paramref name="mode"/>).</summary>
    public static void Write(string path, string contents, UnixFileMode mode = OwnerOnly) =>
        Write(path, System.Text.Encoding.UTF8.GetBytes(contents), mode);

    /// <summary>Replaces <paramref name="path"/> with <paramref name="contents"/>, mode 0600 (or <paramref name="mode"/>).</summary>
    public static void Write(string path, byte[] contents, UnixFileMode mode = OwnerOnly)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir, OwnerOnlyDirectory);
        }

        var temp = Path.Combine(dir, "." + Path.GetFileName(path) + "." + Environment.ProcessId + ".tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode };
        try
        {
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(contents);
                stream.Flush(flushToDisk: true);
            }

            File.SetUnixFileMode(temp, mode);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>Deletes <paramref name="path"/> when it exists.</summary>
    public static void Delete(string path)
    {
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }
}
