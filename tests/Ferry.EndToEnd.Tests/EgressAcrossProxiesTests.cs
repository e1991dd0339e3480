using Npgsql;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// An egress budget is one budget whichever proxy a session comes through: rows taken through one proxy and then
/// through a second (standalone) proxy add up, and the next session is refused on both.
/// </summary>
public sealed class EgressAcrossProxiesTests(StandaloneClusterFixture fixture) : IClassFixture<StandaloneClusterFixture>
{
    private const string BudgetRole = """
        kind: role
        name: egress-proxies
        options:
          egress: { rows: 100, per: 1h }
        allow:
          db_labels: { env: [dev, staging] }
          db_names: [app]
          db_users: ["{{internal.db_users}}"]
        """;

    private FerryCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task Postgres_BudgetCrossedAcrossTwoProxies_RefusesTheNextSessionOnBoth()
    {
        var path = Path.Combine(Cluster.Root, "egress-proxies.yaml");
        await File.WriteAllTextAsync(path, BudgetRole);
        await Cluster.AdminAsync("roles", "apply", "-f", path);
        var user = await Cluster.AddUserAsync("ep" + Guid.NewGuid().ToString("N")[..9], "egress-proxies", "db_users=alice");
        var creds = await Cluster.LoginAsync(user, "pg1", "alice", "app");
        var viaFirst = Cluster.NpgsqlConnectionString(creds) + ";Server Compatibility Mode=NoTypeLoading";

        var (proxy2, port) = await Cluster.StartSecondProxyAsync();
        using (proxy2)
        {
            var viaSecond = viaFirst.Replace($"Port={Cluster.ProxyPort};", $"Port={port};", StringComparison.Ordinal);

            // The agent was restarted to dial both proxies: wait (one row each) until both reach pg1.
            foreach (var cs in new[] { viaFirst, viaSecond })
            {
                var up = false;
                for (var i = 0; i < 150 && !up; i++)
                {
                    await using var probe = new NpgsqlConnection(cs);
                    try
                    {
                        await probe.OpenAsync();
                        up = await EgressProbe.ReadAllAsync(probe, "SELECT 1") == 1;
                    }
                    catch (NpgsqlException)
                    {
                        await Task.Delay(200); // the agent is still dialing this proxy
                    }
                }

                Assert.True(up, "a proxy never reached pg1\nproxy2:\n" + proxy2.Log + "\nagent:\n" + Cluster.AgentLog);
            }

            // 60 rows through the first proxy.
            await using (var first = new NpgsqlConnection(viaFirst))
            {
                await first.OpenAsync();
                Assert.Equal(60, await EgressProbe.ReadAllAsync(first, "SELECT g FROM generate_series(1, 60) g"));
            }

            // 60 more through the second proxy cross 100 in all.
            Exception? ended = null;
            await using (var second = new NpgsqlConnection(viaSecond))
            {
                await second.OpenAsync();
                for (var i = 0; i < 50 && ended is null; i++)
                {
                    try
                    {
                        await EgressProbe.ReadAllAsync(second, "SELECT g FROM generate_series(1, 60) g");
                    }
                    catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
                    {
                        ended = e;
                    }
                }
            }

            Assert.NotNull(ended);

            // The next session is refused through either proxy.
            foreach (var cs in new[] { viaFirst, viaSecond })
            {
                await EgressProbe.AssertNextSessionRefusedAsync(() => new NpgsqlConnection(cs));
            }

            proxy2.Stop(9, TimeSpan.FromSeconds(10));
        }
    }
}
