using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Ferry.Testing;
using Xunit.Abstractions;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// <c>scripts/image</c>: the OCI image layout of a role, written without a registry or a Docker engine. The layout is
/// read back (index, manifest, config, layer), checked against what the Dockerfiles in deploy/ promise (entrypoint,
/// non-root user, ports, no shell, size), validated by umoci when Debian's umoci is installed, and then run: the layer is
/// unpacked into a directory and the entrypoint started there with <c>chroot</c> as the image's user, so only what
/// the image holds (libc, OpenSSL, CA bundle; no libsqlite3) is there for it.
/// </summary>
[Collection("container image")]
public sealed class ContainerImageTests(ITestOutputHelper output)
{
    private const int ImageUid = 65532;

    private static string Script => Path.Combine(Binaries.RepositoryRoot, "scripts", "image");

    private static async Task<string> BuildImageAsync(string role, string arch, string outDir)
    {
        var (code, text) = await ProcessRunner.RunAsync(Script, ["--arch", arch, "--out", outDir, role], TimeSpan.FromMinutes(5),
            environment: new Dictionary<string, string> { ["FERRY_DIST"] = Binaries.Dist });
        Assert.True(code == 0, text);
        return text;
    }

    private static string Blob(string layout, string digest)
    {
        Assert.StartsWith("sha256:", digest);
        var path = Path.Combine(layout, "blobs", "sha256", digest["sha256:".Length..]);
        Assert.True(File.Exists(path), $"blob {digest} is missing");
        // Content-addressed: the name is the SHA-256 of the content.
        using (var stream = File.OpenRead(path))
        {
            Assert.Equal(digest["sha256:".Length..], Convert.ToHexStringLower(SHA256.HashData(stream)));
        }
        return path;
    }

    private static JsonDocument ReadJson(string path) => JsonDocument.Parse(File.ReadAllText(path));

    /// <summary>The manifests the layout's index.json leads to (through a nested multi-arch index if there is one), by architecture.</summary>
    private static Dictionary<string, JsonElement> Manifests(string layout)
    {
        Assert.Equal("""{"imageLayoutVersion":"1.0.0"}""", File.ReadAllText(Path.Combine(layout, "oci-layout")));
        using var index = ReadJson(Path.Combine(layout, "index.json"));
        var result = new Dictionary<string, JsonElement>();
        foreach (var entry in index.RootElement.GetProperty("manifests").EnumerateArray())
        {
            var path = Blob(layout, entry.GetProperty("digest").GetString()!);
            Assert.Equal(new FileInfo(path).Length, entry.GetProperty("size").GetInt64());
            if (entry.GetProperty("mediaType").GetString() == "application/vnd.oci.image.index.v1+json")
            {
                using var nested = ReadJson(path);
                foreach (var m in nested.RootElement.GetProperty("manifests").EnumerateArray())
                {
                    using var manifest = ReadJson(Blob(layout, m.GetProperty("digest").GetString()!));
                    result[m.GetProperty("platform").GetProperty("architecture").GetString()!] = manifest.RootElement.Clone();
                }
            }
            else
            {
                using var manifest = ReadJson(path);
                result[entry.GetProperty("platform").GetProperty("architecture").GetString()!] = manifest.RootElement.Clone();
            }
        }
        return result;
    }

    private sealed record Layer(string Path, long CompressedSize, List<TarEntry> Entries);

    private static Layer ReadLayer(string layout, JsonElement manifest)
    {
        var layers = manifest.GetProperty("layers").EnumerateArray().ToList();
        var layer = Assert.Single(layers);
        Assert.Equal("application/vnd.oci.image.layer.v1.tar+gzip", layer.GetProperty("mediaType").GetString());
        var path = Blob(layout, layer.GetProperty("digest").GetString()!);
        var entries = new List<TarEntry>();
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        while (reader.GetNextEntry(copyData: false) is { } entry)
        {
            entries.Add(entry);
        }
        return new Layer(path, new FileInfo(path).Length, entries);
    }

    private static void AssertImage(string layout, JsonElement manifest, string role, string arch, string[] ports, long maxLayerBytes)
    {
        using var config = ReadJson(Blob(layout, manifest.GetProperty("config").GetProperty("digest").GetString()!));
        var root = config.RootElement;
        Assert.Equal(arch, root.GetProperty("architecture").GetString());
        Assert.Equal("linux", root.GetProperty("os").GetString());
        var c = root.GetProperty("config");
        Assert.Equal([$"/usr/local/bin/{role}"], c.GetProperty("Entrypoint").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.Equal($"{ImageUid}:{ImageUid}", c.GetProperty("User").GetString());
        Assert.Equal(ports.Order(StringComparer.Ordinal), c.GetProperty("ExposedPorts").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.True(c.GetProperty("Volumes").TryGetProperty("/var/lib/ferry", out _));

        var layer = ReadLayer(layout, manifest);
        var names = layer.Entries.Select(e => e.Name.TrimEnd('/')).ToHashSet(StringComparer.Ordinal);
        // The uncompressed layer is what the config's diff_id names.
        using (var gzip = new GZipStream(File.OpenRead(layer.Path), CompressionMode.Decompress))
        {
            Assert.Equal(root.GetProperty("rootfs").GetProperty("diff_ids")[0].GetString(), "sha256:" + Convert.ToHexStringLower(SHA256.HashData(gzip)));
        }

        Assert.Contains($"usr/local/bin/{role}", names);
        Assert.Contains("etc/ssl/certs/ca-certificates.crt", names);
        Assert.Contains(names, n => n.EndsWith("/libc.so.6", StringComparison.Ordinal));
        Assert.Contains(names, n => n.EndsWith("/libssl.so.3", StringComparison.Ordinal));
        Assert.Contains(names, n => n.EndsWith(arch == "arm64" ? "ld-linux-aarch64.so.1" : "ld-linux-x86-64.so.2", StringComparison.Ordinal));
        // No shell, no package manager, no SQLite library: one file per role.
        Assert.DoesNotContain(names, n => Path.GetFileName(n) is "sh" or "bash" or "dash" or "busybox" or "apt" or "dpkg");
        Assert.DoesNotContain(names, n => n.Contains("sqlite", StringComparison.OrdinalIgnoreCase));

        var passwd = layer.Entries.Single(e => e.Name == "etc/passwd");
        Assert.Contains($"ferry:x:{ImageUid}:{ImageUid}:", ReadText(layout, manifest, "etc/passwd"));
        Assert.DoesNotContain("/bin/sh", ReadText(layout, manifest, "etc/passwd"));
        Assert.Equal(0, passwd.Uid);
        var data = layer.Entries.Single(e => e.Name.TrimEnd('/') == "var/lib/ferry");
        Assert.Equal(ImageUid, data.Uid);
        var binary = layer.Entries.Single(e => e.Name == $"usr/local/bin/{role}");
        Assert.Equal(0, binary.Uid);
        Assert.True(binary.Mode.HasFlag(UnixFileMode.UserExecute) && !binary.Mode.HasFlag(UnixFileMode.OtherWrite), binary.Mode.ToString());
        // Deterministic: every entry has the same fixed time.
        Assert.All(layer.Entries, e => Assert.Equal(DateTimeOffset.UnixEpoch, e.ModificationTime));
        Assert.True(layer.CompressedSize <= maxLayerBytes, $"{role} ({arch}) layer is {layer.CompressedSize} bytes compressed, over {maxLayerBytes}");
    }

    private static string ReadText(string layout, JsonElement manifest, string name)
    {
        var layer = manifest.GetProperty("layers")[0];
        using var gzip = new GZipStream(File.OpenRead(Blob(layout, layer.GetProperty("digest").GetString()!)), CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        while (reader.GetNextEntry() is { } entry)
        {
            if (entry.Name == name)
            {
                using var text = new StreamReader(entry.DataStream!);
                return text.ReadToEnd();
            }
        }
        throw new InvalidOperationException($"{name} is not in the layer");
    }

    /// <summary>Unpacks the layer into a fresh directory (modes, and the owners the layer names).</summary>
    private static async Task<string> UnpackAsync(string layout, JsonElement manifest, string dir)
    {
        var layer = manifest.GetProperty("layers")[0];
        var path = Blob(layout, layer.GetProperty("digest").GetString()!);
        Directory.CreateDirectory(dir);
        var (code, text) = await ProcessRunner.RunAsync("tar", ["-xzpf", path, "-C", dir, "--numeric-owner"], TimeSpan.FromMinutes(2));
        Assert.True(code == 0, text);
        return dir;
    }

    [Fact]
    public async Task AgentImage_IsAnOciLayout_WithTheEntrypoint_ANonRootUser_NoShell_AndIsDeterministic()
    {
        using var temp = new TempDirectory();
        var layout = Path.Combine(temp.Path, "agent");
        output.WriteLine(await BuildImageAsync("ferry-agent", "x64", layout));
        var manifests = Manifests(layout);
        AssertImage(layout, Assert.Single(manifests, m => m.Key == "amd64").Value, "ferry-agent", "amd64", ["9090/tcp"], 15_000_000);

        // The same inputs give the same image, byte for byte.
        var again = Path.Combine(temp.Path, "agent-again");
        await BuildImageAsync("ferry-agent", "x64", again);
        Assert.Equal(File.ReadAllText(Path.Combine(layout, "index.json")), File.ReadAllText(Path.Combine(again, "index.json")));

        // umoci (an OCI image tool from Debian) accepts the layout and unpacks it as a runtime bundle.
        if (File.Exists("/usr/bin/umoci"))
        {
            var bundle = Path.Combine(temp.Path, "bundle");
            var (code, text) = await ProcessRunner.RunAsync("/usr/bin/umoci", ["unpack", "--image", $"{layout}:0.1.0", bundle], TimeSpan.FromMinutes(2));
            Assert.True(code == 0, text);
            Assert.True(File.Exists(Path.Combine(bundle, "rootfs", "usr", "local", "bin", "ferry-agent")));
            using var runtimeConfig = ReadJson(Path.Combine(bundle, "config.json"));
            var process = runtimeConfig.RootElement.GetProperty("process");
            Assert.Equal(ImageUid, process.GetProperty("user").GetProperty("uid").GetInt32());
            Assert.Equal("/usr/local/bin/ferry-agent", process.GetProperty("args")[0].GetString());
            output.WriteLine("umoci unpack: ok");
        }
        else
        {
            output.WriteLine("umoci is not installed: layout validated by this test only");
        }
    }

    [RootFact]
    public async Task AgentImage_Unpacked_RunsTheEntrypointAsTheImageUser()
    {
        using var temp = new TempDirectory();
        var layout = Path.Combine(temp.Path, "agent");
        await BuildImageAsync("ferry-agent", "x64", layout);
        var rootfs = await UnpackAsync(layout, Manifests(layout)["amd64"], Path.Combine(temp.Path, "rootfs"));
        var (code, text) = await ProcessRunner.RunAsync("chroot", [$"--userspec={ImageUid}:{ImageUid}", rootfs, "/usr/local/bin/ferry-agent", "--version"], TimeSpan.FromMinutes(1));
        Assert.True(code == 0, text);
        Assert.Matches(@"^\d+\.\d+\.\d+", text.Trim());
        output.WriteLine($"ferry-agent --version in the unpacked image: {text.Trim()}");
        var (noShell, _) = await ProcessRunner.RunAsync("chroot", [rootfs, "/bin/sh", "-c", "true"], TimeSpan.FromMinutes(1));
        Assert.NotEqual(0, noShell);
    }

    [RootFact]
    public async Task FerrydImage_Unpacked_StartsOnItsBuiltInSqlite_AndAnswersReadyz()
    {
        using var temp = new TempDirectory();
        var layout = Path.Combine(temp.Path, "ferryd");
        await BuildImageAsync("ferryd", "x64", layout);
        var manifest = Manifests(layout)["amd64"];
        AssertImage(layout, manifest, "ferryd", "amd64", ["3025/tcp", "3036/tcp", "3080/tcp", "9090/tcp"], 30_000_000);
        var rootfs = await UnpackAsync(layout, manifest, Path.Combine(temp.Path, "rootfs"));
        // Nothing SQLite in the image: ferryd's own (linked-in) SQLite is the only one it can use.
        Assert.Empty(Directory.EnumerateFiles(rootfs, "*sqlite*", SearchOption.AllDirectories));

        int auth = FreePort.Next(), proxy = FreePort.Next(), mysql = FreePort.Next(), diag = FreePort.Next();
        await File.WriteAllTextAsync(Path.Combine(rootfs, "etc", "ferry", "ferry.yaml"), $"""
            cluster_name: image
            data_dir: /var/lib/ferry
            diag_addr: 127.0.0.1:{diag}
            auth:
              listen_addr: 127.0.0.1:{auth}
            proxy:
              listen_addr: 127.0.0.1:{proxy}
              public_addrs: [127.0.0.1:{proxy}]
              mysql_listen_addr: 127.0.0.1:{mysql}
            """);
        using var ferryd = ManagedServerProcess.Start("chroot", [$"--userspec={ImageUid}:{ImageUid}", rootfs, "/usr/local/bin/ferryd", "--config", "/etc/ferry/ferry.yaml"]);
        using var http = new HttpClient();
        HttpStatusCode status = 0;
        for (var i = 0; i < 600 && (status != HttpStatusCode.OK || !ferryd.Log.Contains("ferryd ready", StringComparison.Ordinal)); i++)
        {
            Assert.False(ferryd.HasExited, $"ferryd exited in the image:\n{ferryd.Log}");
            await Task.Delay(100);
            try
            {
                status = (await http.GetAsync($"http://127.0.0.1:{diag}/readyz")).StatusCode;
            }
            catch (HttpRequestException)
            {
            }
        }
        Assert.True(status == HttpStatusCode.OK, $"/readyz: {status}\n{ferryd.Log}");
        Assert.Contains("ferryd ready", ferryd.Log);
        var db = Path.Combine(rootfs, "var", "lib", "ferry", "ferry.db");
        Assert.True(File.Exists(db), "no ferry.db in the data volume");
        output.WriteLine($"ferryd in the unpacked image: /readyz 200; {new FileInfo(db).Length} bytes of ferry.db written by the linked-in SQLite");
        ferryd.Stop(15, TimeSpan.FromSeconds(10));
    }

    [Arm64Fact]
    public async Task MultiArchImage_HasAnX64AndAnArm64Manifest_AndTheArm64EntrypointRunsUnderQemu()
    {
        using var temp = new TempDirectory();
        var layout = Path.Combine(temp.Path, "agent");
        output.WriteLine(await BuildImageAsync("ferry-agent", "all", layout));
        var manifests = Manifests(layout);
        Assert.Equal(["amd64", "arm64"], manifests.Keys.Order(StringComparer.Ordinal));
        AssertImage(layout, manifests["amd64"], "ferry-agent", "amd64", ["9090/tcp"], 15_000_000);
        AssertImage(layout, manifests["arm64"], "ferry-agent", "arm64", ["9090/tcp"], 15_000_000);

        // The arm64 entrypoint, from the unpacked arm64 layer, with only that layer's libraries (qemu -L).
        var rootfs = await UnpackAsync(layout, manifests["arm64"], Path.Combine(temp.Path, "rootfs-arm64"));
        var (code, text) = await ProcessRunner.RunAsync(Arm64FactAttribute.Qemu, ["-L", rootfs, Path.Combine(rootfs, "usr/local/bin/ferry-agent"), "--version"], TimeSpan.FromMinutes(2));
        Assert.True(code == 0, text);
        Assert.Matches(@"^\d+\.\d+\.\d+", text.Trim());
        output.WriteLine($"arm64 ferry-agent --version from the unpacked arm64 layer under qemu: {text.Trim()}");
    }
}

/// <summary>A fact that runs only as root (chroot into an unpacked image); CI and the developer machines run as root.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!ProcessRunner.IsRoot)
        {
            Skip = "needs root: the unpacked image is run with chroot";
        }
    }
}
