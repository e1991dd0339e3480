namespace Ferry.EndToEnd.Tests;

/// <summary>Finds the Native AOT binaries that <c>scripts/build</c> leaves in <c>dist/</c> (or <c>$FERRY_DIST</c>).</summary>
internal static class Binaries
{
    public static string Dist
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("FERRY_DIST");
            return !string.IsNullOrEmpty(env) ? env : Path.Combine(RepositoryRoot, "dist");
        }
    }

    /// <summary>The directory holding Proxy.sln, found by walking up from the test assembly.</summary>
    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Proxy.sln")))
            {
                dir = dir.Parent;
            }
            return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root");
        }
    }

    public static string Ferryd => Require("ferryd");

    public static string Ferry => Require("ferry");

    public static string FerryAgent => Require("ferry-agent");

    private static string Require(string name)
    {
        var path = Path.Combine(Dist, name);
        return File.Exists(path) ? path : throw new InvalidOperationException($"{path} is missing: run scripts/build first");
    }
}
