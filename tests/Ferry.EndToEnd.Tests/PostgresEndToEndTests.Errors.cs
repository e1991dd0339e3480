using System.Text.Json;
using Ferry.Audit;

namespace Ferry.EndToEnd.Tests;

public sealed partial class PostgresEndToEndTests
{
    /// <summary>
    /// A statement the server refuses yields, after its <c>TDB02I</c>, a <c>TDB02W</c> with the server's SQLSTATE and
    /// message (as MySQL's failed COM_QUERY does), in the simple and in the extended protocol.
    /// </summary>
    [Fact]
    public async Task FailedStatements_AreAuditedWithTheServersSqlStateAndMessage()
    {
        var creds = await LoginAsync();
        var marker = "no_such_table_" + Guid.NewGuid().ToString("N")[..8];
        var (code, output) = await Cluster.PsqlAsync(creds, $"SELECT * FROM {marker}");
        Assert.NotEqual(0, code);
        Assert.Contains("does not exist", output, StringComparison.Ordinal);
        await using (var conn = new Npgsql.NpgsqlConnection(Cluster.NpgsqlConnectionString(creds)))
        {
            await conn.OpenAsync();
            await using var cmd = new Npgsql.NpgsqlCommand($"SELECT 1 / @zero AS {marker}_x", conn);
            cmd.Parameters.AddWithValue("zero", 0);
            await Assert.ThrowsAsync<Npgsql.PostgresException>(() => cmd.ExecuteScalarAsync());
            // The session carries on.
            await using var ok = new Npgsql.NpgsqlCommand("SELECT 2", conn);
            Assert.Equal(2, await ok.ExecuteScalarAsync());
        }

        var admin = await Cluster.AddUserAsync("admin" + Guid.NewGuid().ToString("N")[..6], "admin");
        using var api = Cluster.Api((await Cluster.LoginAsync(admin)).Certificate);
        var user = creds.Certificate.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, false);
        List<AuditEvent> failed = [];
        for (var i = 0; i < 200 && failed.Count < 2; i++)
        {
            var body = await api.GetStringAsync($"/v1/audit/search?since=1h&user={Uri.EscapeDataString(user)}&type=db.session.query&limit=1000");
            failed = [.. JsonSerializer.Deserialize(body, AuditJsonContext.Default.ListAuditEvent)!.Where(e => e.Code == "TDB02W")];
            if (failed.Count < 2)
            {
                await Task.Delay(100);
            }
        }
        Assert.Contains(failed, e => !e.Success && e.Details!["sqlstate"] == "42P01" && e.Error!.Contains(marker, StringComparison.Ordinal) && e.Error.StartsWith("ERROR 42P01: ", StringComparison.Ordinal));
        Assert.Contains(failed, e => !e.Success && e.Details!["sqlstate"] == "22012" && e.Error!.Contains("division by zero", StringComparison.Ordinal));
        Assert.All(failed, e => Assert.Null(e.Query));
    }
}
