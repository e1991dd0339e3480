using Npgsql;

namespace Ferry.Auth.Backend;

/// <summary>
/// Runs Npgsql commands so that cancelling them never blocks a socket event thread.
/// </summary>
/// <remarks>
/// <para>
/// Npgsql answers a cancelled token (or its own command timeout) by sending PostgreSQL a cancel request over a new
/// connection with blocking I/O, on the thread that cancels, or, when the token is already cancelled as a read
/// starts, on the thread running the command. Ferry's binaries run socket completions inline
/// (<c>InlineSocketCompletions</c>), so that thread is often a socket event thread; the cancel connection's blocking
/// reads are completed by an event thread too. With one event thread the process waits for itself until those reads
/// time out: a one-shot <c>ferryd admin</c> hung this way for a minute at exit, in about half the runs, when the
/// backend's stop token cancelled its LISTEN. With more threads it only needs all of them to be caught at once.
/// </para>
/// <para>
/// So Npgsql never gets a cancellable token for a command or its reader here. The caller's token (and a bound of
/// <see cref="Timeout"/> per command, below the data source's own command timeout) cancel the command with
/// <see cref="NpgsqlCommand.Cancel"/> on a thread-pool thread, and the caller sees an
/// <see cref="OperationCanceledException"/> for its token or a <see cref="TimeoutException"/> for the bound.
/// Waits that Npgsql cancels without a request to the server (<c>OpenConnectionAsync</c>, <c>WaitAsync</c>) take the
/// caller's token directly. Transaction commands (<c>COMMIT</c>, <c>ROLLBACK</c>) run without a token and stay
/// bounded by the data source's command timeout (<see cref="ConfigureTimeouts"/>).
/// </para>
/// </remarks>
internal static class PgCommand
{
    /// <summary>The longest one command may run before it is cancelled (the data source's own bound is twice this).</summary>
    internal static TimeSpan Timeout { get; } = TimeSpan.FromSeconds(30);

    /// <summary>Sets the data source's command timeout above <see cref="Timeout"/>, so that ours fires first.</summary>
    public static void ConfigureTimeouts(NpgsqlSlimDataSourceBuilder builder) =>
        builder.ConnectionStringBuilder.CommandTimeout = Math.Max(builder.ConnectionStringBuilder.CommandTimeout, (int)(Timeout.TotalSeconds * 2));

    public static Task<int> NonQueryAsync(NpgsqlCommand command, CancellationToken ct) =>
        RunAsync(command, static c => c.ExecuteNonQueryAsync(CancellationToken.None), static c => c.Cancel(), Timeout, ct);

    public static Task<object?> ScalarAsync(NpgsqlCommand command, CancellationToken ct) => ScalarAsync(command, Timeout, ct);

    /// <summary><see cref="ScalarAsync(NpgsqlCommand, CancellationToken)"/> with its own bound (tests).</summary>
    internal static Task<object?> ScalarAsync(NpgsqlCommand command, TimeSpan bound, CancellationToken ct) =>
        RunAsync(command, static c => c.ExecuteScalarAsync(CancellationToken.None), static c => c.Cancel(), bound, ct);

    public static Task<int> NonQueryAsync(NpgsqlBatch batch, CancellationToken ct) =>
        RunAsync(batch, static b => b.ExecuteNonQueryAsync(CancellationToken.None), static b => b.Cancel(), Timeout, ct);

    /// <summary>
    /// Executes <paramref name="command"/> and hands its reader to <paramref name="read"/>, which reads without a token
    /// (<c>reader.ReadAsync()</c>): cancelling the command ends the reads too.
    /// </summary>
    public static Task<T> ReadAsync<T>(NpgsqlCommand command, Func<NpgsqlDataReader, Task<T>> read, CancellationToken ct) =>
        RunAsync(command, async c =>
        {
            var reader = await c.ExecuteReaderAsync(CancellationToken.None).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                return await read(reader).ConfigureAwait(false);
            }
        }, static c => c.Cancel(), Timeout, ct);

    private static async Task<T> RunAsync<TCommand, T>(TCommand command, Func<TCommand, Task<T>> run, Action<TCommand> cancel, TimeSpan timeout, CancellationToken ct)
        where TCommand : class
    {
        ct.ThrowIfCancellationRequested();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stop.CancelAfter(timeout);
        using var registration = stop.Token.UnsafeRegister(static s => ((Canceller<TCommand>)s!).Queue(), new Canceller<TCommand>(command, cancel));
        try
        {
            return await run(command).ConfigureAwait(false);
        }
        catch (Exception e) when (ct.IsCancellationRequested)
        {
            throw new OperationCanceledException("the PostgreSQL command was cancelled", e, ct);
        }
        catch (Exception e) when (stop.IsCancellationRequested)
        {
            throw new TimeoutException($"PostgreSQL did not answer a command within {timeout.TotalSeconds:0.#} s", e);
        }
    }

    /// <summary>Cancels a command from the thread pool (the registration's callback, which runs once, may run on any thread).</summary>
    private sealed class Canceller<TCommand>(TCommand command, Action<TCommand> cancel)
        where TCommand : class
    {
        public void Queue() => ThreadPool.UnsafeQueueUserWorkItem(static s => s.Run(), this, preferLocal: false);

        private void Run()
        {
            try
            {
                cancel(command);
            }
            catch (Exception)
            {
                // The command ended (and may be disposed) before the cancel ran, or the cancel request failed: the
                // statement then ends by itself or by the data source's timeout. Npgsql documents Cancel as not
                // throwing; whatever it does, a failed attempt must not end the process from a pool thread.
            }
        }
    }
}
