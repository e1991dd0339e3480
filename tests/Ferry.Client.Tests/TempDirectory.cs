namespace Ferry.Client.Tests;

internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Path = Directory.CreateTempSubdirectory("ferry-client-test-").FullName;

    public string Path { get; }

    public FerryPaths Paths(string? pg = null, string? my = null) =>
        new(System.IO.Path.Combine(Path, "home", ".ferry"), pg ?? System.IO.Path.Combine(Path, "home", ".pg_service.conf"), my ?? System.IO.Path.Combine(Path, "home", ".my.cnf"));

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
