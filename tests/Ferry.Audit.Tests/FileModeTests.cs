namespace Ferry.Audit.Tests;

public sealed class FileModeTests
{
    private const UnixFileMode Others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    [Fact]
    public async Task SpoolAndStore_CreateEveryFile0600_AndEveryDirectory0700()
    {
        using var dir = new TempDirectory();
        string spoolDir = Path.Combine(dir.Path, "data", "spool", "agent");
        string storeDir = Path.Combine(dir.Path, "data", "audit");
        using (var spool = AuditSpool.Open(spoolDir))
        using (var store = AuditStore.Open(storeDir, new AuditStoreOptions { Fsync = false }))
        {
            spool.AppendDurable(Events.Many(10));
            await new AuditShipper(spool, new AuditStoreUploader(store)).DrainAsync(CancellationToken.None);
            store.Seal();
            store.Append(Events.Many(5, 10));
        }

        var entries = new DirectoryInfo(Path.Combine(dir.Path, "data")).EnumerateFileSystemInfos("*", SearchOption.AllDirectories).ToList();
        Assert.Contains(entries, e => e.Name.EndsWith(".zst", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Name == "cursor.json");
        Assert.Contains(entries, e => e.Name == "checkpoint.json");
        Assert.All(entries.Append(new DirectoryInfo(Path.Combine(dir.Path, "data"))), e =>
            Assert.Equal(e is DirectoryInfo ? Ferry.Text.OwnerOnlyFiles.DirectoryMode0700 : Ferry.Text.OwnerOnlyFiles.FileMode0600, e.UnixFileMode));
    }

    [Fact]
    public void Spool_WithAFileReadableByOthers_RefusesToOpen_NamingTheFix()
    {
        using var dir = new TempDirectory();
        string spoolDir = dir.Sub("spool");
        using (var spool = AuditSpool.Open(spoolDir))
        {
            spool.AppendDurable(Events.Many(1));
        }

        string segment = Directory.GetFiles(spoolDir, "spool-*.log").Single();
        File.SetUnixFileMode(segment, File.GetUnixFileMode(segment) | UnixFileMode.OtherRead);
        var ex = Assert.Throws<InvalidOperationException>(() => AuditSpool.Open(spoolDir));
        Assert.Contains(segment, ex.Message);
        Assert.Contains($"chmod -R go-rwx {spoolDir}", ex.Message);
    }

    [Fact]
    public void Store_InADirectoryOpenToOthers_RefusesToOpen_NamingTheFix()
    {
        using var dir = new TempDirectory();
        string storeDir = dir.Sub("audit");
        Directory.CreateDirectory(storeDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var ex = Assert.Throws<InvalidOperationException>(() => AuditStore.Open(storeDir));
        Assert.Contains("audit store", ex.Message);
        Assert.Contains($"chmod 700 {storeDir}", ex.Message);
        Assert.True((new DirectoryInfo(storeDir).UnixFileMode & Others) != 0);
    }
}
