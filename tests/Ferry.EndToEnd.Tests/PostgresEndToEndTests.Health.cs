using System.Text.RegularExpressions;

namespace Ferry.EndToEnd.Tests;

public sealed partial class PostgresEndToEndTests
{
    /// <summary>
    /// The PostgreSQL health probe opens a TCP connection and closes it without sending a byte, which PostgreSQL does not
    /// log (no "incomplete startup packet", no "could not receive data from client"). <c>log_connections</c> is turned on
    /// for the test so the probes themselves show up ("connection received"), proving they happened.
    /// </summary>
    [Fact]
    public async Task HealthProbe_LeavesNoIncompleteStartupPacketInTheServerLog()
    {
        var pg = Cluster.Postgres;
        await pg.PsqlAsync("ALTER SYSTEM SET log_connections = 'on'");
        await pg.PsqlAsync("SELECT pg_reload_conf()");
        try
        {
            var mark = pg.ServerLog.Length;
            // pg1, pgprod and pgpool are probed every 10 s: wait for two rounds of them.
            var received = 0;
            for (var i = 0; i < 400 && received < 6; i++)
            {
                received = Regex.Matches(pg.ServerLog[mark..], "connection received: host=127\\.0\\.0\\.1").Count;
                if (received < 6)
                {
                    await Task.Delay(250);
                }
            }
            Assert.True(received >= 6, $"saw {received} probe connections\n{pg.ServerLog[mark..]}");
            var added = pg.ServerLog[mark..];
            Assert.DoesNotContain("incomplete startup packet", added, StringComparison.Ordinal);
            Assert.DoesNotContain("could not receive data", added, StringComparison.Ordinal);
        }
        finally
        {
            await pg.PsqlAsync("ALTER SYSTEM RESET log_connections");
            await pg.PsqlAsync("SELECT pg_reload_conf()");
        }
    }
}
