namespace Ferry.Testing;

/// <summary>A fresh directory under the system temp directory (mode 0700), deleted on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "ferry-test-") => Path = Directory.CreateTempSubdirectory(prefix).FullName;

    public string Path { get; }

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file the code under test still holds open (a SQLite journal, a spool segment): the directory
            // lives under the temp directory and the OS cleans it; failing the test here would hide its result.
        }
    }
}
