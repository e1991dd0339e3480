using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Testing;
using Xunit.Abstractions;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// Runs one scenario of <c>tests/web/scenario.mjs</c>: Debian's headless Chromium (playwright-core, nothing downloaded)
/// driving the web UI served by the real <c>ferryd</c> through the proxy port, and returns what the scenario saw (its
/// <c>RESULT {json}</c> line). Screenshots go to <c>$FERRY_WEB_SCREENSHOTS</c> when it is set (docs/images is
/// refreshed that way).
/// </summary>
internal static class WebUiBrowser
{
    /// <summary>tests/web in the repository.</summary>
    public static string Directory
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Proxy.sln")))
            {
                dir = dir.Parent;
            }

            return dir is null
                ? throw new InvalidOperationException("cannot find the repository root (Proxy.sln) to locate tests/web")
                : Path.Combine(dir.FullName, "tests", "web");
        }
    }

    /// <summary>The web UI's origin through the proxy port. <c>localhost</c>, not 127.0.0.1: WebAuthn refuses an IP address as relying party.</summary>
    public static string Origin(FerryCluster cluster) => $"https://localhost:{cluster.ProxyPort.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    public static async Task<ScenarioResult> RunAsync(FerryCluster cluster, string scenario, JsonObject parameters, ITestOutputHelper output)
    {
        var dir = Directory;
        if (!File.Exists(Path.Combine(dir, "node_modules", "playwright-core", "package.json")))
        {
            throw new InvalidOperationException($"{dir}/node_modules is missing: run `. scripts/lib/common.sh && ensure_test_dependencies` (npm ci in tests/web)");
        }

        var paramsFile = Path.Combine(cluster.Root, $"web-{scenario}-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(paramsFile, parameters.ToJsonString());
        File.SetUnixFileMode(paramsFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        List<string> args = [Path.Combine(dir, "scenario.mjs"), "--scenario", scenario, "--url", Origin(cluster), "--params-file", paramsFile, "--timeout-seconds", "240"];
        var screenshots = Environment.GetEnvironmentVariable("FERRY_WEB_SCREENSHOTS");
        if (!string.IsNullOrEmpty(screenshots))
        {
            args.AddRange(["--screenshots", screenshots]);
        }

        var (code, text) = await ProcessRunner.RunAsync("node", args, TimeSpan.FromMinutes(5),
            environment: new Dictionary<string, string> { ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1" });
        File.Delete(paramsFile);
        var line = text.Split('\n').LastOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
        output.WriteLine($"scenario {scenario} exited {code}:\n{text}");
        if (line is null)
        {
            throw new InvalidOperationException($"scenario {scenario} printed no result (exit {code}):\n{text}\n--- ferryd:\n{cluster.FerrydLog}");
        }

        var json = JsonDocument.Parse(line["RESULT ".Length..]).RootElement.Clone();
        return new ScenarioResult(code, json, text);
    }
}

internal sealed record ScenarioResult(int ExitCode, JsonElement Json, string Output)
{
    public bool Ok => ExitCode == 0 && Json.TryGetProperty("ok", out var ok) && ok.ValueKind == JsonValueKind.True;

    public string Describe() => $"exit {ExitCode}: {Output}";

    public string Text(params string[] path)
    {
        var e = Get(path);
        return e.ValueKind switch
        {
            JsonValueKind.String => e.GetString()!,
            JsonValueKind.Undefined or JsonValueKind.Null => "",
            _ => e.GetRawText(),
        };
    }

    public JsonElement Get(params string[] path)
    {
        var e = Json;
        foreach (var p in path)
        {
            if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty(p, out var next))
            {
                e = next;
            }
            else if (e.ValueKind == JsonValueKind.Array && int.TryParse(p, out var i) && i < e.GetArrayLength())
            {
                e = e[i];
            }
            else
            {
                return default;
            }
        }

        return e;
    }

    public IReadOnlyList<string> Strings(params string[] path)
    {
        var e = Get(path);
        return e.ValueKind == JsonValueKind.Array ? [.. e.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString()! : x.GetRawText())] : [];
    }

    /// <summary>Every URL the pages requested, as <c>METHOD URL</c>.</summary>
    public IReadOnlyList<string> Urls => Strings("urls");

    public IReadOnlyList<string> ConsoleErrors => Strings("console_errors");
}
