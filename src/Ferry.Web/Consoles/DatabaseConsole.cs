using System.Diagnostics;
using Ferry.Diagnostics;

namespace Ferry.Web.Consoles;

/// <summary>
/// One SQL console: a real database session through the proxy, one statement at a time, the last result kept (within
/// <see cref="WebOptions.MaxResultRows"/> and <see cref="WebOptions.MaxResultBytes"/>) for paging and CSV export.
/// Closed on logout, idle timeout, <c>DELETE</c>, or when the database side closes (a lock, the certificate's end);
/// after that every call says why.
/// </summary>
internal abstract class DatabaseConsole : IAsyncDisposable
{
    private readonly SemaphoreSlim _busy = new(1, 1);
    // 1 while a statement of the user's own waits for the console or runs on it.
    private int _userStatement;
    private readonly CancellationTokenSource _closed = new();
    private string? _closeReason;
    private int _closedFlag;

    protected DatabaseConsole(string database, string dbUser, string dbName, string protocol, WebOptions options)
    {
        Id = Sessions.WebSessionStore.RandomToken()[..22];
        Database = database;
        DbUser = dbUser;
        DbName = dbName;
        Protocol = protocol;
        Options = options;
    }

    public string Id { get; }

    public string Database { get; }

    public string DbUser { get; }

    public string DbName { get; }

    public string Protocol { get; }

    protected WebOptions Options { get; }

    /// <summary>Cancelled when the console closes: aborts a running read.</summary>
    protected CancellationToken ClosedToken => _closed.Token;

    public ConsoleResult? LastResult { get; private set; }

    public bool IsClosed => Volatile.Read(ref _closedFlag) != 0;

    public string CloseReason => _closeReason ?? "closed";

    /// <summary>
    /// Runs <paramref name="sql"/> and keeps its result as the last one; a database error is a result too. A statement of
    /// the user's own (<paramref name="keep"/>) is never queued behind another one of theirs, waiting or running: that one
    /// can be cancelled from the page, so a second is refused as busy. The page's own schema reads (keep: false) are short
    /// and start as the console opens: a user statement typed meanwhile waits for them (up to the statement timeout)
    /// instead of failing, and a schema read while a user statement waits or runs is refused as busy.
    /// </summary>
    public async Task<ConsoleResult> QueryAsync(string sql, bool keep = true)
    {
        ThrowIfClosed();
        if (keep ? Interlocked.CompareExchange(ref _userStatement, 1, 0) != 0 : Volatile.Read(ref _userStatement) != 0)
        {
            throw Busy();
        }

        bool entered = false;
        try
        {
            entered = await _busy.WaitAsync(Options.StatementTimeout, _closed.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Closed while waiting: said below.
        }
        finally
        {
            if (!entered && keep)
            {
                Volatile.Write(ref _userStatement, 0);
            }
        }

        if (!entered)
        {
            ThrowIfClosed();
            throw Busy();
        }

        try
        {
            ThrowIfClosed();
            var started = Stopwatch.GetTimestamp();
            ConsoleResult result;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(_closed.Token))
            {
                timeout.CancelAfter(Options.StatementTimeout);
                try
                {
                    result = await RunAsync(sql, timeout.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException
                    or Ferry.Protocol.Postgres.PostgresProtocolException or Ferry.Protocol.MySql.MySqlProtocolException or EndOfStreamException)
                {
                    Close(IsClosed ? CloseReason : "the database connection closed: " + (LastServerMessage ?? e.Message));
                    throw new ConsoleClosedException(CloseReason);
                }
            }

            result.Duration = Stopwatch.GetElapsedTime(started);
            if (keep)
            {
                LastResult = result;
            }

            return result;
        }
        finally
        {
            _busy.Release();
            if (keep)
            {
                Volatile.Write(ref _userStatement, 0);
            }
        }
    }

    private static WebApiException Busy() =>
        new(409, "busy", "a statement is still running in this console: wait for it or cancel it");

    /// <summary>A FATAL/ERR the server sent before closing, to say why the console ended.</summary>
    protected string? LastServerMessage { get; set; }

    protected abstract Task<ConsoleResult> RunAsync(string sql, CancellationToken ct);

    /// <summary>Runs a statement on the wire client into a kept result; a FATAL the server sent becomes the close reason.</summary>
    protected async Task<ConsoleResult> CollectAsync(bool tagOnlyWithoutColumns, Func<Ferry.Wire.WireResultSink, Task> run, Func<string?> lastFatal)
    {
        var sink = new ConsoleResultSink(Options, tagOnlyWithoutColumns);
        try
        {
            await run(sink).ConfigureAwait(false);
        }
        finally
        {
            LastServerMessage = lastFatal() ?? LastServerMessage;
        }

        return sink.Result;
    }

    /// <summary>Cancels the running statement through Ferry (PostgreSQL CancelRequest, MySQL KILL QUERY).</summary>
    public abstract Task CancelAsync(CancellationToken ct);

    /// <summary>Closes the connection (idempotent); later calls fail with <paramref name="reason"/>.</summary>
    public void Close(string reason)
    {
        if (Interlocked.Exchange(ref _closedFlag, 1) != 0)
        {
            return;
        }

        _closeReason = reason;
        FerryMetrics.WebConsoleClosed(Protocol);
        _closed.Cancel();
        CloseConnection();
    }

    protected abstract void CloseConnection();

    protected void ThrowIfClosed()
    {
        if (IsClosed)
        {
            throw new ConsoleClosedException(CloseReason);
        }
    }

    public ValueTask DisposeAsync()
    {
        Close("closed");
        return ValueTask.CompletedTask;
    }
}
