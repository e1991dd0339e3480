using System.Globalization;

namespace Ferry.EndToEnd.Tests;

public sealed partial class MySqlEndToEndTests
{
    /// <summary>
    /// my1 and myprod name <c>health_check_user: ferry_probe</c> (and the auth service lists it in
    /// <c>auth.health_check_users</c>): every probe is a certificate login followed by COM_QUIT, so MariaDB logs no
    /// "Aborted connection … closed normally without authentication" line for it, as it does for a bare TCP probe.
    /// </summary>
    [Fact]
    public async Task HealthProbe_WithAHealthCheckUser_LogsInAndQuits_LeavingNoAbortedConnectionInTheServerLog()
    {
        var maria = Cluster.MariaDb;
        var errorLog = Path.Combine(maria.RootDirectory, "error.log");
        await maria.SqlAsync("SET GLOBAL userstat = ON; FLUSH USER_STATISTICS;");
        var mark = new FileInfo(errorLog).Length;
        // Only this test's probes count: other tests of the class share the cluster (and its log) and may have
        // stopped or refused the server while they ran.
        var ferrydMark = Cluster.FerrydLog.Length;
        var abortedBefore = await StatusAsync("Aborted_connects");

        // Two rounds of probes of both databases, as the server counts them.
        var logins = 0L;
        for (var i = 0; i < 400 && logins < 4; i++)
        {
            var text = (await maria.SqlAsync("SELECT IFNULL(SUM(TOTAL_CONNECTIONS), 0) FROM information_schema.USER_STATISTICS WHERE USER = 'ferry_probe'")).Trim();
            logins = long.Parse(text, CultureInfo.InvariantCulture);
            if (logins < 4)
            {
                await Task.Delay(250);
            }
        }
        Assert.True(logins >= 4, $"the health probe logged in {logins} times as ferry_probe\n{Cluster.FerrydLog}");
        var lostOrDenied = (await maria.SqlAsync("SELECT IFNULL(SUM(LOST_CONNECTIONS + DENIED_CONNECTIONS), 0) FROM information_schema.USER_STATISTICS WHERE USER = 'ferry_probe'")).Trim();
        Assert.Equal("0", lostOrDenied);

        string added;
        using (var log = new FileStream(errorLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            log.Seek(mark, SeekOrigin.Begin);
            added = await new StreamReader(log).ReadToEndAsync();
        }
        Assert.DoesNotContain("Aborted connection", added, StringComparison.Ordinal);
        Assert.Equal(abortedBefore, await StatusAsync("Aborted_connects"));
        var ferrydAdded = Cluster.FerrydLog[ferrydMark..];
        Assert.False(ferrydAdded.Contains("health probe of database my1 failed", StringComparison.Ordinal), ferrydAdded);
    }

    private async Task<string> StatusAsync(string variable) =>
        (await Cluster.MariaDb.SqlAsync($"SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = '{variable.ToUpperInvariant()}'")).Trim();
}
