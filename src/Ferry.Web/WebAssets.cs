using System.Collections.Frozen;
using System.Reflection;

namespace Ferry.Web;

/// <summary>The built pages (web/dist, embedded as <c>web/&lt;path&gt;</c>), read once at start.</summary>
internal sealed class WebAssets
{
    private readonly FrozenDictionary<string, byte[]> _files;

    private WebAssets(FrozenDictionary<string, byte[]> files) => _files = files;

    public bool IsBuilt => _files.ContainsKey("index.html");

    public static WebAssets Load()
    {
        var assembly = typeof(WebAssets).Assembly;
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith("web/", StringComparison.Ordinal))
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(name);
            if (stream is null)
            {
                continue;
            }

            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            files[name["web/".Length..].Replace('\\', '/')] = copy.ToArray();
        }

        return new WebAssets(files.ToFrozenDictionary(StringComparer.Ordinal));
    }

    public byte[]? Find(string path) => _files.GetValueOrDefault(path);

    public static string ContentType(string path) => Path.GetExtension(path) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        ".ico" => "image/x-icon",
        ".json" => "application/json; charset=utf-8",
        ".map" => "application/json; charset=utf-8",
        ".woff2" => "font/woff2",
        _ => "application/octet-stream",
    };

    internal static Assembly Assembly => typeof(WebAssets).Assembly;
}
