using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ferry.Testing;
using Xunit.Abstractions;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// The drone case: the linux-arm64 <c>ferry-agent</c> that <c>scripts/build --arch arm64</c> cross-compiles runs
/// under qemu-user (<c>qemu-aarch64-static</c>, with the arm64 libc and OpenSSL from Debian multiarch), joins an
/// x64 cluster with a one-time token and the pinned host CA, and relays a real psql session to PostgreSQL.
/// </summary>
[Collection("arm64 agent")]
public sealed class Arm64AgentTests(ITestOutputHelper output)
{
    /// <summary>ELF e_machine of AArch64.</summary>
    private const ushort ElfMachineAarch64 = 183;

    [Arm64Fact]
    public async Task Arm64Agent_UnderQemu_JoinsTheX64Cluster_AndRelaysPsqlWithAuditedQueries()
    {
        var binary = Arm64FactAttribute.AgentPath;
        Assert.Equal(ElfMachineAarch64, ElfMachine(binary));
        Assert.True(File.Exists(Arm64FactAttribute.Qemu), $"{Arm64FactAttribute.Qemu} is missing: . scripts/lib/common.sh && ensure_arm64_runtime");

        await using var cluster = await FerryCluster.StartAsync();
        var token = Regex.Match(await cluster.AdminAsync("tokens", "add", "--role", "agent", "--ttl", "10m"), "token: (\\S+)").Groups[1].Value;
        var pin = (await cluster.AdminAsync("ca", "export", "--type", "host", "--fingerprint")).Trim().Split('\n')[0];
        Assert.NotEmpty(token);
        var config = Path.Combine(cluster.Root, "arm64-agent.yaml");
        await File.WriteAllTextAsync(config, $"""
            cluster_name: e2e
            data_dir: {Path.Combine(cluster.Root, "arm64-agent-data")}
            agent:
              proxies: [127.0.0.1:{cluster.ProxyPort}]
              join_token: {token}
              ca_pin: {pin}
              host_id: drone-arm64
              databases:
                - name: pgarm
                  protocol: postgres
                  uri: 127.0.0.1:{cluster.Postgres.Port}
                  labels:
                    env: dev
            """);

        // Not binfmt_misc: qemu is named, so the test runs the same whether or not the machine registered it.
        var clock = Stopwatch.StartNew();
        using var agent = ManagedServerProcess.Start(Arm64FactAttribute.Qemu, [binary, "--config", config]);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(180);
        while (!agent.Log.Contains("ferry-agent ready", StringComparison.Ordinal))
        {
            Assert.False(agent.HasExited, $"the arm64 ferry-agent exited:\n{agent.Log}");
            Assert.True(DateTime.UtcNow < deadline, $"the arm64 ferry-agent was not ready in 180 s:\n{agent.Log}");
            await Task.Delay(100);
        }
        var ready = clock.Elapsed;
        Assert.Contains("joined the cluster as agent drone-arm64", agent.Log);
        // It is the emulated arm64 process that serves: qemu runs it, no x64 ferry-agent is involved.
        Assert.Contains("qemu-aarch64", File.ReadAllText($"/proc/{agent.Pid}/cmdline"));

        var user = await cluster.AddUserAsync("drone" + Guid.NewGuid().ToString("N")[..8], "developer", "db_users=alice");
        var creds = await cluster.LoginAsync(user, "pgarm", "alice", "app");
        var marker = "arm64_" + Guid.NewGuid().ToString("N")[..8];
        var (code, text) = (1, "");
        for (var i = 0; i < 150; i++)
        {
            (code, text) = await cluster.PsqlAsync(creds, $"SELECT current_user || '|' || current_database() || '|{marker}'");
            if (code == 0 || !text.Contains("not available", StringComparison.OrdinalIgnoreCase))
            {
                break;
            }
            await Task.Delay(200);
        }
        Assert.True(code == 0, $"{text}\nagent:\n{agent.Log}");
        Assert.Equal($"alice|app|{marker}", text.Trim());

        // The query is audited with the arm64 agent as its origin.
        var admin = await cluster.AddUserAsync("adm" + Guid.NewGuid().ToString("N")[..8], "admin");
        var adminCreds = await cluster.LoginAsync(admin);
        using var api = cluster.Api(adminCreds.Certificate);
        JsonElement? found = null;
        for (var i = 0; i < 150 && found is null; i++)
        {
            if (i > 0)
            {
                await Task.Delay(200);
            }
            using var doc = JsonDocument.Parse(await api.GetStringAsync($"/v1/audit/search?user={Uri.EscapeDataString(user.User)}&since=1h&limit=1000"));
            found = doc.RootElement.EnumerateArray()
                .Where(e => e.GetProperty("type").GetString() == "db.session.query" && e.GetRawText().Contains(marker, StringComparison.Ordinal))
                .Select(e => (JsonElement?)e.Clone())
                .FirstOrDefault();
        }
        Assert.True(found is not null, $"no db.session.query event with {marker}\nagent:\n{agent.Log}");
        Assert.Equal("pgarm", found!.Value.GetProperty("db_service").GetString());
        Assert.Equal("drone-arm64", found.Value.GetProperty("agent_id").GetString());
        output.WriteLine($"arm64 ferry-agent under qemu ready {ready.TotalSeconds:0.00}s after exec; psql through it: {text.Trim()}; audit: {found.Value.GetRawText()}");
        agent.Stop(15, TimeSpan.FromSeconds(10));
    }

    private static ushort ElfMachine(string path)
    {
        Span<byte> header = stackalloc byte[20];
        using var file = File.OpenRead(path);
        file.ReadExactly(header);
        Assert.True(header[..4].SequenceEqual("\u007fELF"u8), $"{path} is not an ELF file");
        return BitConverter.ToUInt16(header[18..20]);
    }
}

/// <summary>
/// A fact that needs the linux-arm64 <c>ferry-agent</c> in <c>dist/arm64/</c> (<c>scripts/build --arch arm64</c>;
/// scripts/test builds it). Skipped, saying so, only when that binary is absent.
/// </summary>
public sealed class Arm64FactAttribute : FactAttribute
{
    public const string Qemu = "/usr/bin/qemu-aarch64-static";

    public Arm64FactAttribute()
    {
        if (!File.Exists(AgentPath))
        {
            Skip = $"{AgentPath} is absent: run scripts/build --arch arm64 --only ferry-agent (scripts/test does)";
        }
    }

    public static string AgentPath => Path.Combine(Binaries.Dist, "arm64", "ferry-agent");
}
