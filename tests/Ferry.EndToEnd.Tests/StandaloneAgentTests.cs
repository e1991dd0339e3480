using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ferry.Agent.Hosting;
using Ferry.Config;
using Ferry.Contracts;
using Ferry.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// The production shape: ferryd (auth + proxy) and a separate ferry-agent that joined through the
/// proxy's port 3080 with a token and a pinned CA, tunnelling out to the proxy.
/// </summary>
[Collection("standalone agent")]
public sealed class StandaloneAgentTests(StandaloneClusterFixture fixture, ITestOutputHelper output) : IClassFixture<StandaloneClusterFixture>
{
    private FerryCluster Cluster => fixture.Cluster;

    private async Task<(FerryCluster.UserSecrets User, FerryCluster.Credentials Creds)> LoginAsync(string service = "pg1")
    {
        var user = await Cluster.AddUserAsync("u" + Guid.NewGuid().ToString("N")[..10], "developer", "db_users=alice");
        return (user, await Cluster.LoginAsync(user, service, "alice", "app"));
    }

    private Task<(int Code, string Output)> PsqlAsync(FerryCluster.Credentials creds, string sql, TimeSpan timeout) =>
        ProcessRunner.RunAsync(Path.Combine(PostgresServer.BinDirectory, "psql"),
            [Cluster.ConnectionString(creds), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql], timeout);

    /// <summary>Waits until a backend of this cluster's PostgreSQL is running <paramref name="marker"/>.</summary>
    private async Task WaitRunningAsync(string marker)
    {
        for (var i = 0; i < 200; i++)
        {
            var active = await Cluster.Postgres.PsqlAsync($"SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%{marker}%' AND pid <> pg_backend_pid()");
            if (active.Trim() != "0")
            {
                return;
            }
            await Task.Delay(50);
        }
        throw new InvalidOperationException($"the query {marker} never started");
    }

    [Fact]
    public async Task Agent_JoinedThroughTheProxy_ServesPsqlWithAuditedQueries()
    {
        var (_, creds) = await LoginAsync();
        var (code, text) = await Cluster.PsqlAsync(creds, "SELECT current_user || '|' || current_database()");
        Assert.True(code == 0, text);
        Assert.Equal("alice|app", text.Trim());
        Assert.Contains("joined the cluster as agent edge-agent-1", Cluster.AgentLog + Cluster.FerrydLog + JoinedMarker());
    }

    // A restarted agent logs that it reused its certificate instead; either line proves the join happened.
    private string JoinedMarker() => Cluster.AgentLog.Contains("using the stored host certificate", StringComparison.Ordinal) ? "joined the cluster as agent edge-agent-1" : "";

    [Fact]
    public async Task KillingTheAgentMidQuery_FailsThatQuery_KeepsTheProxyUp_AndTheRestartedAgentIsBackQuickly()
    {
        var (_, creds) = await LoginAsync();
        await Cluster.WaitReachableAsync(creds, TimeSpan.FromSeconds(30));
        var marker = "kill_me_" + Guid.NewGuid().ToString("N")[..8];
        var query = PsqlAsync(creds, $"SELECT pg_sleep(30) AS {marker}", TimeSpan.FromSeconds(60));
        await WaitRunningAsync(marker);

        var clock = Stopwatch.StartNew();
        Cluster.KillAgent();
        var (code, text) = await query;
        var failedAfter = clock.Elapsed;
        Assert.NotEqual(0, code);
        Assert.DoesNotContain("(1 row)", text);

        // The proxy carries on: its API passthrough answers, and a new connection gets a precise error.
        using (var api = Cluster.ApiViaProxy())
        {
            var ca = await api.GetFromJsonAsync("/v1/ca", AuthApiJsonContext.Default.CaResponse);
            Assert.Equal("e2e", ca!.Cluster);
        }
        var (downCode, downText) = await Cluster.PsqlAsync(creds, "SELECT 1");
        Assert.NotEqual(0, downCode);
        Assert.Contains("pg1", downText);

        clock.Restart();
        await Cluster.RestartAgentAsync();
        var started = clock.Elapsed;
        var reachable = await Cluster.WaitReachableAsync(creds, TimeSpan.FromSeconds(30));
        Assert.Contains("using the stored host certificate", Cluster.AgentLog);
        output.WriteLine($"query failed {failedAfter.TotalSeconds:0.00}s after kill -9; restarted agent ready in {started.TotalSeconds:0.00}s, reachable {reachable.TotalSeconds:0.00}s later: {text.Trim()}");
    }

    [Fact]
    public async Task Lock_ClosesALiveSessionWithItsReason_AndRefusesNewOnes()
    {
        var (user, creds) = await LoginAsync();
        await Cluster.WaitReachableAsync(creds, TimeSpan.FromSeconds(30));
        var marker = "locked_" + Guid.NewGuid().ToString("N")[..8];
        var query = PsqlAsync(creds, $"SELECT pg_sleep(60) AS {marker}", TimeSpan.FromSeconds(90));
        await WaitRunningAsync(marker);

        var clock = Stopwatch.StartNew();
        await Cluster.AdminAsync("locks", "add", "--user", user.User, "--message", "offboarding");
        var (code, text) = await query;
        var closedAfter = clock.Elapsed;
        Assert.NotEqual(0, code);
        Assert.Contains($"user \"{user.User}\" is locked: offboarding", text);

        var (again, againText) = await Cluster.PsqlAsync(creds, "SELECT 1");
        Assert.NotEqual(0, again);
        Assert.Contains("locked", againText);
        output.WriteLine($"live session closed {closedAfter.TotalSeconds:0.00}s after `ferryd admin locks add` returned: {text.Trim()}");
    }

    [Fact]
    public async Task ExpiringCertificate_EndsTheLiveSession_ThenIsRefused()
    {
        var (_, login) = await LoginAsync();
        await Cluster.WaitReachableAsync(login, TimeSpan.FromSeconds(30));
        var creds = await Cluster.ShortLivedAsync(login, "pg1", "alice", "app", TimeSpan.FromSeconds(6));
        var marker = "expiring_" + Guid.NewGuid().ToString("N")[..8];
        var query = PsqlAsync(creds, $"SELECT pg_sleep(60) AS {marker}", TimeSpan.FromSeconds(90));
        await WaitRunningAsync(marker);

        var (code, text) = await query;
        Assert.NotEqual(0, code);
        Assert.Contains("certificate expired", text);
        var notAfter = new DateTimeOffset(creds.Certificate.NotAfter.ToUniversalTime());
        output.WriteLine($"session ended {(DateTimeOffset.UtcNow - notAfter).TotalSeconds:0.00}s after the certificate's NotAfter: {text.Trim()}");

        var (again, againText) = await Cluster.PsqlAsync(creds, "SELECT 1");
        Assert.NotEqual(0, again);
        Assert.Contains("expired", againText);
    }

    [Fact]
    public async Task DynamicLabels_FromCommands_DecideAccessAndShowInTheListing()
    {
        var user = await Cluster.AddUserAsync("dyn" + Guid.NewGuid().ToString("N")[..8], "developer", "db_users=alice");
        var staging = await Cluster.LoginAsync(user, "pgdyn", "alice", "app");
        await Cluster.WaitReachableAsync(staging, TimeSpan.FromSeconds(30));

        // A second login in the same TOTP step would be refused as a reused code: log in as a second user.
        var other = await Cluster.AddUserAsync("dyn" + Guid.NewGuid().ToString("N")[..8], "developer", "db_users=alice");
        var prod = await Cluster.LoginAsync(other, "pgdyn-prod", "alice", "app");
        var (code, text) = await Cluster.PsqlAsync(prod, "SELECT 1");
        Assert.NotEqual(0, code);
        Assert.Contains("deny db_labels", text);

        using var api = Cluster.Api(staging.Certificate);
        var listed = await api.GetFromJsonAsync("/v1/databases", AuthApiJsonContext.Default.DatabasesResponse);
        var dyn = Assert.Single(listed!.Databases, d => d.Name == "pgdyn");
        Assert.Equal("staging", dyn.Labels["env"]);
        Assert.DoesNotContain(listed.Databases, d => d.Name is "pgdyn-prod" or "pgprod");
        Assert.Contains(listed.Databases, d => d.Name == "pg1" && d.DbUsers!.Contains("alice") && d.Healthy);
        // A database the agent cannot reach is listed as such, with the reason.
        var down = Assert.Single(listed.Databases, d => d.Name == "pgdown");
        Assert.False(down.Healthy);
        Assert.Contains("127.0.0.1:1", down.HealthError);
    }

    [Fact]
    public async Task Copy_100MB_OutAndBackIn_ArrivesWhole()
    {
        var (_, creds) = await LoginAsync();
        await Cluster.WaitReachableAsync(creds, TimeSpan.FromSeconds(30));
        var table = "copy_" + Guid.NewGuid().ToString("N")[..8];
        var file = Path.Combine(Cluster.Root, table + ".txt");
        var limit = TimeSpan.FromMinutes(5);
        var (code, text) = await PsqlAsync(creds, $"\\copy (SELECT i || ':' || repeat('x', 1000) FROM generate_series(1, 100000) i) TO '{file}'", limit);
        Assert.True(code == 0, text);
        var size = new FileInfo(file).Length;
        Assert.True(size > 100_000_000, $"COPY out wrote {size} bytes");

        (code, text) = await PsqlAsync(creds, $"CREATE TABLE {table} (line text)", limit);
        Assert.True(code == 0, text);
        var clock = Stopwatch.StartNew();
        (code, text) = await PsqlAsync(creds, $"\\copy {table} FROM '{file}'", limit);
        Assert.True(code == 0, text);
        var copyIn = clock.Elapsed;
        (code, text) = await PsqlAsync(creds, $"SELECT count(*) || '|' || sum(length(line) + 1) || '|' || count(DISTINCT split_part(line, ':', 1)) FROM {table}", limit);
        Assert.True(code == 0, text);
        Assert.Equal($"100000|{size}|100000", text.Trim());
        output.WriteLine($"COPY of {size / 1e6:0.0} MB out and back in through Ferry; COPY IN took {copyIn.TotalSeconds:0.0}s");
    }

    [Fact]
    public async Task ListenNotify_DeliversNotificationsThroughFerry()
    {
        var (_, creds) = await LoginAsync();
        await Cluster.WaitReachableAsync(creds, TimeSpan.FromSeconds(30));
        var channel = "chan_" + Guid.NewGuid().ToString("N")[..8];
        await using var listener = new NpgsqlConnection(Cluster.NpgsqlConnectionString(creds));
        await listener.OpenAsync();
        var received = new TaskCompletionSource<(string Channel, string Payload)>(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.Notification += (_, e) => received.TrySetResult((e.Channel, e.Payload));
        await using (var listen = new NpgsqlCommand($"LISTEN {channel}", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        await using (var notifier = new NpgsqlConnection(Cluster.NpgsqlConnectionString(creds)))
        {
            await notifier.OpenAsync();
            await using var notify = new NpgsqlCommand($"SELECT pg_notify('{channel}', 'hello through the tunnel')", notifier);
            await notify.ExecuteNonQueryAsync();
        }

        await listener.WaitAsync(TimeSpan.FromSeconds(20));
        var (gotChannel, payload) = await received.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(channel, gotChannel);
        Assert.Equal("hello through the tunnel", payload);
    }

    [Fact]
    public async Task TheAgentDialsEveryProxy_AStandaloneSecondProxyServesTheSameDatabases()
    {
        var (_, creds) = await LoginAsync();
        var (proxy2, port) = await Cluster.StartSecondProxyAsync();
        using (proxy2)
        {
            var viaSecond = Cluster.ConnectionString(creds).Replace($"port={Cluster.ProxyPort}", $"port={port}", StringComparison.Ordinal);
            (int Code, string Output) result = (-1, "");
            for (var i = 0; i < 100 && result.Code != 0; i++)
            {
                result = await ProcessRunner.RunAsync(Path.Combine(PostgresServer.BinDirectory, "psql"),
                    [viaSecond, "-X", "-A", "-t", "-c", "SELECT current_user"], TimeSpan.FromSeconds(30));
                if (result.Code != 0)
                {
                    await Task.Delay(200);
                }
            }
            Assert.True(result.Code == 0, result.Output + "\nproxy2:\n" + proxy2.Log + "\nagent:\n" + Cluster.AgentLog);
            Assert.Equal("alice", result.Output.Trim());
            Assert.Contains("joined the cluster as proxy", proxy2.Log);

            // Both proxies report to the auth service; the listing counts the agent's two tunnels as one database.
            using var api = Cluster.Api(creds.Certificate);
            var listed = await api.GetFromJsonAsync("/v1/databases", AuthApiJsonContext.Default.DatabasesResponse);
            Assert.Single(listed!.Databases, d => d.Name == "pg1");

            proxy2.Stop(9, TimeSpan.FromSeconds(10));
        }
        var (code, text) = await Cluster.PsqlAsync(creds, "SELECT 1");
        Assert.True(code == 0, text);
    }

    [Fact]
    public async Task KillingTheAuthServiceDuringPgbench_AndTheAgentAfterIt_LosesNoAuditEvent()
    {
        var (user, creds) = await LoginAsync();
        await Cluster.WaitReachableAsync(creds, TimeSpan.FromSeconds(30));
        var (proxy2, port) = await Cluster.StartSecondProxyAsync();
        using (proxy2)
        {
            var conn = Cluster.ConnectionString(creds).Replace($"port={Cluster.ProxyPort}", $"port={port}", StringComparison.Ordinal);
            var pgbench = Path.Combine(PostgresServer.BinDirectory, "pgbench");
            (int ExitCode, string Output) init = (-1, "");
            for (var i = 0; i < 100 && init.ExitCode != 0; i++)
            {
                init = await ProcessRunner.RunAsync(pgbench, ["-i", "-s", "1", "-q", "--no-vacuum", conn], TimeSpan.FromMinutes(3));
                if (init.ExitCode != 0)
                {
                    await Task.Delay(200);
                }
            }
            Assert.True(init.ExitCode == 0, init.Output);

            // pgbench runs through the second proxy; 2 s in, the auth service (and the first proxy with it) is killed.
            var run = ProcessRunner.RunAsync(pgbench, ["-S", "-M", "simple", "-c", "2", "-T", "6", "-n", conn], TimeSpan.FromMinutes(2));
            await Task.Delay(TimeSpan.FromSeconds(2));
            Cluster.KillFerryd();
            var result = await run;
            Assert.True(result.ExitCode == 0, result.Output + "\nagent:\n" + Cluster.AgentLog);
            var processed = int.Parse(Regex.Match(result.Output, @"number of transactions actually processed: (\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(processed > 0, result.Output);

            // The agent's spool now holds events the auth service never received: kill it too, then bring both back.
            Cluster.KillAgent();
            await Cluster.RestartAgentAsync();
            await Cluster.RestartFerrydAsync();

            var admin = await Cluster.AddUserAsync("adm" + Guid.NewGuid().ToString("N")[..8], "admin");
            var adminCreds = await Cluster.LoginAsync(admin);
            using var api = Cluster.Api(adminCreds.Certificate);
            var query = $"/v1/audit/search?since=1h&user={user.User}&type=db.session.query&contains={Uri.EscapeDataString("SELECT abalance FROM pgbench_accounts")}&limit=100000";
            var counted = 0;
            for (var i = 0; i < 300; i++)
            {
                using var doc = JsonDocument.Parse(await api.GetStringAsync(query));
                counted = CountEvents(doc.RootElement);
                if (counted >= processed)
                {
                    break;
                }
                await Task.Delay(200);
            }
            output.WriteLine($"pgbench processed {processed} transactions with the auth service killed 2 s in and the agent killed after; the audit store holds {counted} of their queries");
            Assert.Equal(processed, counted);
        }
    }

    [Fact]
    public async Task DeniedDbName_IsRefusedWith28000NamingTheRule_AndTheDenialIsAudited()
    {
        var (user, creds) = await LoginAsync();
        await Cluster.WaitReachableAsync(creds, TimeSpan.FromSeconds(30));
        await using var conn = new NpgsqlConnection(Cluster.NpgsqlConnectionString(creds, database: "postgres"));
        var refused = await Assert.ThrowsAsync<PostgresException>(() => conn.OpenAsync());
        Assert.Equal("28000", refused.SqlState);
        Assert.Contains("db name \"postgres\"", refused.MessageText);

        var admin = await Cluster.AddUserAsync("adm" + Guid.NewGuid().ToString("N")[..8], "admin");
        using var api = Cluster.Api((await Cluster.LoginAsync(admin)).Certificate);
        var denial = "";
        for (var i = 0; i < 100 && denial.Length == 0; i++)
        {
            using var doc = JsonDocument.Parse(await api.GetStringAsync($"/v1/audit/search?since=1h&user={user.User}&type=db.session.start"));
            denial = doc.RootElement.EnumerateArray()
                .Where(e => e.TryGetProperty("success", out var ok) && !ok.GetBoolean())
                .Select(e => e.GetProperty("error").GetString() ?? "").FirstOrDefault() ?? "";
            if (denial.Length == 0)
            {
                await Task.Delay(200);
            }
        }
        Assert.Contains("db name \"postgres\"", denial);
    }

    [Fact]
    public void TheAgentSection_IsMappedOnceForEveryHost_WithTheProxysMaxMessageBytes()
    {
        var config = new FerryConfig
        {
            Proxy = new ProxySection { MaxMessageBytes = 1024 },
            Agent = new AgentSection { Proxies = ["127.0.0.1:3080"], HostId = "edge-1" },
        };

        var withProxy = AgentRoleOptions.FromConfig(config, "/var/lib/ferry/agent", static _ => { });
        var withoutProxy = AgentRoleOptions.FromConfig(config with { Proxy = null }, "/var/lib/ferry", static _ => { });

        Assert.Equal(1024, withProxy.MaxInspectedMessage);
        Assert.Equal(16 * 1024 * 1024, withoutProxy.MaxInspectedMessage);
        Assert.Equal("edge-1", withProxy.HostId);
    }

    [Fact]
    public async Task FerrydWithAProxyAndAnAgentSection_GivesItsAgentTheProxysMaxMessageBytes()
    {
        var (host, port) = await Cluster.StartProxyWithAgentAsync("1KiB");
        using (host)
        {
            var user = await Cluster.AddUserAsync("big" + Guid.NewGuid().ToString("N")[..8], "developer", "db_users=alice");
            var creds = await Cluster.LoginAsync(user, "pgcombo", "alice", "app");
            var conn = Cluster.ConnectionString(creds).Replace($"port={Cluster.ProxyPort}", $"port={port}", StringComparison.Ordinal);
            Task<(int Code, string Output)> Psql(string sql) => ProcessRunner.RunAsync(Path.Combine(PostgresServer.BinDirectory, "psql"),
                [conn, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql], TimeSpan.FromSeconds(30));
            var marker = Guid.NewGuid().ToString("N")[..8];
            (int Code, string Output) result = (-1, "");
            for (var i = 0; i < 150 && result.Code != 0; i++)
            {
                result = await Psql($"SELECT 'small_{marker}'");
                if (result.Code != 0)
                {
                    await Task.Delay(200);
                }
            }
            Assert.True(result.Code == 0, result.Output + "\nferryd:\n" + host.Log);

            // A Query message above proxy.max_message_bytes is streamed through (not held), and still audited
            // (it used to be left out of the audit log: issue 20, item 1).
            result = await Psql($"SELECT length('big_{marker}' || '{new string('x', 2048)}')");
            Assert.True(result.Code == 0, result.Output);
            result = await Psql($"SELECT 'after_{marker}'");
            Assert.True(result.Code == 0, result.Output);

            var admin = await Cluster.AddUserAsync("adm" + Guid.NewGuid().ToString("N")[..8], "admin");
            using var api = Cluster.Api((await Cluster.LoginAsync(admin)).Certificate);
            async Task<int> CountAsync(string text)
            {
                using var doc = JsonDocument.Parse(await api.GetStringAsync($"/v1/audit/search?since=1h&user={user.User}&type=db.session.query&contains={text}"));
                return CountEvents(doc.RootElement);
            }
            // Events are shipped in order: once the query after the big one is in the store, the big one would be too.
            for (var i = 0; i < 150 && await CountAsync("after_" + marker) == 0; i++)
            {
                await Task.Delay(200);
            }
            Assert.Equal(1, await CountAsync("small_" + marker));
            Assert.Equal(1, await CountAsync("after_" + marker));
            Assert.Equal(1, await CountAsync("big_" + marker));

            // A message over proxy.max_message_bytes that is not streamed (a Bind from Npgsql, a FunctionCall from psql's
            // \lo_import) is refused like any PostgreSQL error: ErrorResponse 54000 naming the size and the limit, the
            // server resynchronised, and the session carries on (it used to end the session: issue 20, known gap 17).
            var npgsql = $"Host=127.0.0.1;Port={port};Username=alice;Database=app;SSL Mode=VerifyFull;Root Certificate={Cluster.HostCaPath};SSL Certificate={creds.CertPath};SSL Key={creds.KeyPath};Pooling=false;Timeout=30;Command Timeout=60";
            await using (var npg = new NpgsqlConnection(npgsql))
            {
                await npg.OpenAsync();
                await using var big = new NpgsqlCommand("SELECT length(@p)", npg);
                big.Parameters.AddWithValue("p", new string('b', 4096));
                await using var after = new NpgsqlCommand($"SELECT 'npgsql_after_{marker}'", npg);
                var refused = await Assert.ThrowsAsync<PostgresException>(() => big.ExecuteScalarAsync());
                Assert.Equal("54000", refused.SqlState);
                Assert.Contains("Bind message of", refused.MessageText, StringComparison.Ordinal);
                Assert.Contains("1024 bytes", refused.MessageText, StringComparison.Ordinal);
                Assert.Equal($"npgsql_after_{marker}", await after.ExecuteScalarAsync());

                // In a transaction block the server's own ReadyForQuery says the transaction failed, as after any error.
                await using (var tx = await npg.BeginTransactionAsync())
                {
                    refused = await Assert.ThrowsAsync<PostgresException>(() => big.ExecuteScalarAsync());
                    Assert.Equal("54000", refused.SqlState);
                    var aborted = await Assert.ThrowsAsync<PostgresException>(() => after.ExecuteScalarAsync());
                    Assert.Equal("25P02", aborted.SqlState);
                    await tx.RollbackAsync();
                }
                Assert.Equal($"npgsql_after_{marker}", await after.ExecuteScalarAsync());
            }

            var file = Path.Combine(Cluster.Root, $"lo_{marker}.bin");
            await File.WriteAllBytesAsync(file, new byte[4096]);
            var script = Path.Combine(Cluster.Root, $"lo_{marker}.sql");
            await File.WriteAllTextAsync(script, $"SELECT 'psql_before_{marker}';\n\\lo_import {file}\nSELECT 'psql_after_{marker}';\n");
            var (psqlCode, psqlOutput) = await ProcessRunner.RunAsync(Path.Combine(PostgresServer.BinDirectory, "psql"), [conn, "-X", "-A", "-t", "-f", script], TimeSpan.FromSeconds(60));
            Assert.True(psqlCode == 0, psqlOutput);
            Assert.Contains($"psql_before_{marker}", psqlOutput, StringComparison.Ordinal);
            Assert.Contains("FunctionCall message of", psqlOutput, StringComparison.Ordinal);
            Assert.Contains($"psql_after_{marker}", psqlOutput, StringComparison.Ordinal);

            // Each refusal is audited with the message's true length and SHA-256 (after the events of the session are in).
            async Task<List<JsonElement>> RefusedAsync(string type)
            {
                using var doc = JsonDocument.Parse(await api.GetStringAsync($"/v1/audit/search?since=1h&user={user.User}&type={type}"));
                var root = doc.RootElement.ValueKind == JsonValueKind.Array ? doc.RootElement : doc.RootElement.GetProperty("events");
                return [.. root.EnumerateArray().Where(e => e.TryGetProperty("success", out var ok) && !ok.GetBoolean()).Select(e => e.Clone())];
            }
            List<JsonElement> binds = [], calls = [];
            for (var i = 0; i < 150 && (binds.Count < 2 || calls.Count < 1); i++)
            {
                binds = await RefusedAsync("db.session.bind");
                calls = await RefusedAsync("db.session.function_call");
                if (binds.Count < 2 || calls.Count < 1)
                {
                    await Task.Delay(200);
                }
            }
            Assert.Equal(2, binds.Count);
            Assert.Single(calls);
            Assert.All(binds.Concat(calls), e =>
            {
                Assert.Contains("refused, not run", e.GetProperty("error").GetString(), StringComparison.Ordinal);
                Assert.True(e.GetProperty("query_length").GetInt64() > 4096);
                Assert.Matches("^[0-9a-f]{64}$", e.GetProperty("query_sha256").GetString());
            });
            Assert.Equal(binds[0].GetProperty("query_sha256").GetString(), binds[1].GetProperty("query_sha256").GetString());
            Assert.Contains("bytes the agent inspects for audit", host.Log, StringComparison.Ordinal);
        }
    }

    private static int CountEvents(JsonElement root) => root.ValueKind == JsonValueKind.Array
        ? root.GetArrayLength()
        : root.TryGetProperty("events", out var events) ? events.GetArrayLength() : throw new InvalidOperationException(root.ToString());
}
