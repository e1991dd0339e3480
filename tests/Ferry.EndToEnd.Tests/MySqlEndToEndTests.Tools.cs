using Ferry.Testing;

namespace Ferry.EndToEnd.Tests;

public sealed partial class MySqlEndToEndTests
{
    [Fact]
    public async Task Mysqlslap_RunsConcurrentClientsThroughTheProxy()
    {
        var creds = await LoginAsync(traits: "db_users=alice;db_names=slap");
        var slap = MariaDbServer.FindBinary("mariadb-slap", "mysqlslap")!;
        var (code, output) = await ProcessRunner.RunAsync(slap,
            [.. Cluster.MySqlClientArgs(creds, database: null), "--create-schema=slap", "--auto-generate-sql", "--concurrency=4", "--iterations=2", "--number-of-queries=200"],
            TimeSpan.FromMinutes(5));
        Assert.True(code == 0, output);
        Assert.Contains("Average number of seconds to run all queries", output);
    }

    [Fact]
    public async Task Sysbench_OltpReadWrite_RunsWithServerSidePreparedStatements()
    {
        var creds = await LoginAsync();
        // sysbench 1.0 has no certificate options: with --mysql-ssl=on it loads these names from the working directory.
        var dir = Directory.CreateTempSubdirectory("ferry-sysbench-").FullName;
        File.Copy(creds.CertPath, Path.Combine(dir, "client-cert.pem"));
        File.Copy(creds.KeyPath, Path.Combine(dir, "client-key.pem"));
        File.Copy(Cluster.HostCaPath, Path.Combine(dir, "cacert.pem"));
        string[] common =
        [
            "oltp_read_write", "--db-driver=mysql", "--mysql-host=127.0.0.1", $"--mysql-port={Cluster.MySqlPort}", "--mysql-user=alice",
            "--mysql-db=app", "--mysql-ssl=on", "--tables=1", "--table-size=1000",
        ];
        Task<(int ExitCode, string Output)> Sysbench(params string[] args) =>
            ProcessRunner.RunAsync("/bin/sh", ["-c", "cd \"$0\" && exec sysbench \"$@\"", dir, .. common, .. args], TimeSpan.FromMinutes(5));

        var prepare = await Sysbench("prepare");
        Assert.True(prepare.ExitCode == 0, prepare.Output);
        var run = await Sysbench("--threads=2", "--events=200", "--time=0", "--db-ps-mode=auto", "run");
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Matches(@"transactions:\s+200 ", run.Output);
        // Two threads on 1,000 rows occasionally deadlock in InnoDB; sysbench retries those (1213, 1205, 1020:
        // its "ignored errors") and fails the run on anything else, which the exit code above covers.
        // Server-side prepared statements went through the agent, decoded for audit.
        var audit = await SearchUserAuditAsync(UserOf(creds), "db.session.mysql.statements.execute");
        Assert.Contains("db.session.mysql.statements.prepare", audit);
        Assert.Contains("\"parameters\":[", audit);
        await Sysbench("cleanup");
        Directory.Delete(dir, true);
    }
}
