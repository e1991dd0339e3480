using System.Data.Common;
using MySqlConnector;
using Npgsql;

namespace Ferry.EndToEnd.Tests;

/// <summary>What the egress budget tests share: reading a whole result, and waiting (bounded) for a session to be refused.</summary>
internal static class EgressProbe
{
    public static async Task<long> ReadAllAsync(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        long n = 0;
        while (await reader.ReadAsync())
        {
            n++;
        }

        return n;
    }

    /// <summary>
    /// Opens sessions (each kept 250 ms while the agent learns the cluster's totals in the background) until one is
    /// refused, at most 40 times, and checks the refusal names the spent budget.
    /// </summary>
    public static async Task AssertNextSessionRefusedAsync(Func<DbConnection> open)
    {
        DbException? refused = null;
        for (var i = 0; i < 40 && refused is null; i++)
        {
            await using var next = open();
            try
            {
                await next.OpenAsync();
                await Task.Delay(250);
            }
            catch (Exception e) when (e is NpgsqlException or MySqlException)
            {
                refused = (DbException)e;
            }
        }

        Assert.NotNull(refused);
        Assert.Contains("egress budget spent", refused.Message, StringComparison.Ordinal);
    }
}
