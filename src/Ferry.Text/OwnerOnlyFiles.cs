using System.Globalization;

namespace Ferry.Text;

/// <summary>
/// The one rule for files only the service's own user may read: files 0600, directories 0700, created with that
/// mode from the start (never briefly readable by others), and checked when opened like ssh checks private keys.
/// CA keys, the audit store and the audit spools all follow it. A no-op on Windows (ACLs instead of modes).
/// </summary>
public static class OwnerOnlyFiles
{
    /// <summary>rw------- for files.</summary>
    public const UnixFileMode FileMode0600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>rwx------ for directories.</summary>
    public const UnixFileMode DirectoryMode0700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private const UnixFileMode Others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Creates <paramref name="path"/> and every missing parent with mode 0700; existing directories are left as they are.</summary>
    public static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            return;
        }

        // Directory.CreateDirectory(path, mode) gives the mode to the last level only: create each missing level.
        var missing = new Stack<string>();
        for (string? dir = full; dir is not null && !Directory.Exists(dir); dir = Path.GetDirectoryName(dir))
        {
            missing.Push(dir);
        }

        while (missing.TryPop(out string? dir))
        {
            Directory.CreateDirectory(dir, DirectoryMode0700);
        }
    }

    /// <summary>Opens <paramref name="path"/>; a file it creates has mode 0600 from the start.</summary>
    public static FileStream Open(string path, FileMode mode, FileAccess access, FileShare share, int bufferSize = 0)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share, BufferSize = bufferSize };
        if (!OperatingSystem.IsWindows() && mode is FileMode.Create or FileMode.CreateNew or FileMode.OpenOrCreate && (access & FileAccess.Write) != 0)
        {
            options.UnixCreateMode = FileMode0600;
        }

        return new FileStream(path, options);
    }

    /// <summary>
    /// Throws <see cref="InvalidOperationException"/> naming the path, its mode and the fix when
    /// <paramref name="path"/> (a file or a directory) is accessible by group or others.
    /// <paramref name="what"/> says what it is ("CA file", "audit spool").
    /// </summary>
    public static void Check(string path, string what)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        bool isDirectory = Directory.Exists(path);
        UnixFileMode mode = isDirectory ? new DirectoryInfo(path).UnixFileMode : File.GetUnixFileMode(path);
        if ((mode & Others) != 0)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{what} {path} is accessible by other users (mode {Convert.ToString((int)mode, 8)}): run `chmod {(isDirectory ? "700" : "600")} {path}` and restart"));
        }
    }

    /// <summary>
    /// <see cref="Check"/> for <paramref name="directory"/> and everything under it (the audit store, a spool):
    /// the first entry open to others fails the check, with <c>chmod -R go-rwx</c> on the directory as the fix.
    /// </summary>
    public static void CheckTree(string directory, string what)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        Check(directory, what);
        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
        {
            if ((entry.UnixFileMode & Others) != 0)
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"{what} {directory} has {entry.FullName} accessible by other users (mode {Convert.ToString((int)entry.UnixFileMode, 8)}): run `chmod -R go-rwx {directory}` and restart"));
            }
        }
    }
}
