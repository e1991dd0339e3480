using Ferry.Auth.Backend;
using Npgsql;

namespace Ferry.Auth.Tests;

/// <summary>
/// <see cref="PgCommand"/>: the caller's token and the per-command bound end a running statement on the server
/// (PostgreSQL cancels it; the connection stays usable), although Npgsql itself never gets a cancellable token.
/// </summary>
public sealed class PgCommandTests(PostgresBackendServer pg) : IClassFixture<PostgresBackendServer>
{
    [Fact]
    public async Task CallersToken_CancelsTheRunningStatement_AndTheConnectionStaysUsable()
    {
        await using var source = await OpenSourceAsync();
        await using var connection = await source.OpenConnectionAsync();
        await using var sleep = new NpgsqlCommand("SELECT pg_sleep(60)", connection);
        using var cts = new CancellationTokenSource();
        var run = PgCommand.ScalarAsync(sleep, cts.Token);
        await WaitUntilRunningAsync("SELECT pg_sleep(60)");

        await cts.CancelAsync();
        var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal(cts.Token, e.CancellationToken);

        // PostgreSQL stopped the statement (a cancel, not a broken connection): the same connection answers.
        await using var next = new NpgsqlCommand("SELECT 41 + 1", connection);
        Assert.Equal(42, await PgCommand.ScalarAsync(next, CancellationToken.None));
        Assert.Equal(0, await RunningCountAsync("SELECT pg_sleep(60)"));
    }

    [Fact]
    public async Task Bound_EndsAStatementThatRunsTooLong_WithATimeout()
    {
        await using var source = await OpenSourceAsync();
        await using var connection = await source.OpenConnectionAsync();
        await using var sleep = new NpgsqlCommand("SELECT pg_sleep(61)", connection);

        var e = await Assert.ThrowsAsync<TimeoutException>(() => PgCommand.ScalarAsync(sleep, TimeSpan.FromMilliseconds(300), CancellationToken.None));
        Assert.Contains("did not answer a command within", e.Message, StringComparison.Ordinal);
        await using var next = new NpgsqlCommand("SELECT 1", connection);
        Assert.Equal(1, await PgCommand.ScalarAsync(next, CancellationToken.None));
    }

    [Fact]
    public async Task AlreadyCancelledToken_RunsNothing()
    {
        await using var source = await OpenSourceAsync();
        await using var connection = await source.OpenConnectionAsync();
        await using var create = new NpgsqlCommand("CREATE TABLE t(x int)", connection);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => PgCommand.NonQueryAsync(create, new CancellationToken(canceled: true)));
        await using var exists = new NpgsqlCommand("SELECT to_regclass('t') IS NULL", connection);
        Assert.Equal(true, await PgCommand.ScalarAsync(exists, CancellationToken.None));
    }

    /// <summary>Without Npgsql's own command timeout: only <see cref="PgCommand"/> can end a statement early here.</summary>
    private async Task<NpgsqlDataSource> OpenSourceAsync() => NpgsqlDataSource.Create(await pg.NewDatabaseAsync() + ";Command Timeout=0");

    private async Task WaitUntilRunningAsync(string query)
    {
        for (var i = 0; i < 200 && await RunningCountAsync(query) == 0; i++)
        {
            await Task.Delay(50);
        }

        Assert.Equal(1, await RunningCountAsync(query));
    }

    private async Task<int> RunningCountAsync(string query) =>
        int.Parse((await pg.Server.PsqlAsync($"SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query = '{query}'")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
}
