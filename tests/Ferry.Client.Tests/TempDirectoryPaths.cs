namespace Ferry.Client.Tests;

internal static class TempDirectoryPaths
{
    /// <summary>A home directory for the client inside <paramref name="dir"/>, with optional client-config paths.</summary>
    public static FerryPaths Paths(this TempDirectory dir, string? pg = null, string? my = null) =>
        new(Path.Combine(dir.Path, "home", ".ferry"), pg ?? Path.Combine(dir.Path, "home", ".pg_service.conf"), my ?? Path.Combine(dir.Path, "home", ".my.cnf"));
}
