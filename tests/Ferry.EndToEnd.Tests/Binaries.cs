namespace Ferry.EndToEnd.Tests;

/// <summary>Finds the Native AOT binaries that <c>scripts/build</c> leaves in <c>dist/</c> (or <c>$FERRY_DIST</c>).</summary>
internal static class Binaries
{
    public static string Dist
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("FERRY_DIST");
            if (!string.IsNullOrEmpty(env))
            {
                return env;
            }
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Proxy.sln")))
            {
                dir = dir.Parent;
            }
            return dir is null ? throw new InvalidOperationException("cannot find the repository root") : Path.Combine(dir.FullName, "dist");
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
