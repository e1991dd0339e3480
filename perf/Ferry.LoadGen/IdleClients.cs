using System.Data.Common;
using System.Runtime.InteropServices;
using MySqlConnector;
using Npgsql;

namespace Ferry.LoadGen;

/// <summary>Opens N real client sessions (Npgsql or MySqlConnector, no pooling) and holds them idle until told to stop.</summary>
internal static class IdleClients
{
    public static async Task<int> RunAsync(Arguments a)
    {
        var protocol = a.Get("protocol", "postgres");
        var conn = a.Get("conn");
        var count = a.GetInt("count", 100);
        var parallel = a.GetInt("parallel", 8);
        using var stop = new CancellationTokenSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });

        var opened = new List<DbConnection>(count);
        var failed = 0;
        string? firstError = null;
        var next = -1;
        var workers = Enumerable.Range(0, parallel).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) < count && !stop.IsCancellationRequested)
            {
                DbConnection c = protocol == "mysql" ? new MySqlConnection(conn) : new NpgsqlConnection(conn);
                try
                {
                    await c.OpenAsync(stop.Token);
                    lock (opened)
                    {
                        opened.Add(c);
                    }
                }
                catch (Exception e) when (e is DbException or IOException or TimeoutException or InvalidOperationException)
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstError, e.Message, null);
                    await c.DisposeAsync();
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        Console.Out.WriteLine($"opened {opened.Count} failed {failed}{(firstError is null ? "" : " first_error " + firstError.ReplaceLineEndings(" "))}");
        Console.Out.Flush();
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
        foreach (var c in opened)
        {
            await c.DisposeAsync();
        }
        return opened.Count == count ? 0 : 1;
    }
}
