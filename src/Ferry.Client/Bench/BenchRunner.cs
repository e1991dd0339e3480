using System.Diagnostics;
using System.Security.Authentication;
using Ferry.Wire;

namespace Ferry.Client.Bench;

/// <summary>
/// Runs a load test: <see cref="BenchOptions.Clients"/> sessions, each sending the query again as soon as the last one
/// finished (closed loop), or, with <see cref="BenchOptions.Rate"/>, transactions on a fixed schedule shared by the
/// clients whose latency counts from the INTENDED send time, so a stall is measured, not hidden (no coordinated
/// omission). A database error is counted and the client goes on; a broken session is counted and reopened.
/// </summary>
public sealed class BenchRunner(IBenchTarget target, BenchOptions options, TimeProvider? time = null)
{
    /// <summary>Pause after a failed connection before the client tries again (a refusal must not spin).</summary>
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(200);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly List<BenchClient> _clients = [];
    private long _started;
    private long _measureFrom;
    private long _end;
    private long _next;
    private int _opened;
    private Exception? _fatal;

    /// <summary>Transactions and errors so far (measured ones), for the progress line.</summary>
    public (long Transactions, long Errors, TimeSpan Elapsed) Progress()
    {
        long transactions = 0, errors = 0;
        lock (_clients)
        {
            foreach (var c in _clients)
            {
                transactions += c.Transactions;
                errors += c.ErrorCount;
            }
        }

        return (transactions, errors, _started == 0 ? TimeSpan.Zero : _time.GetElapsedTime(_started));
    }

    /// <summary>Runs until the duration ends or <paramref name="stop"/> is cancelled (Ctrl-C), then reports what was measured.</summary>
    public async Task<BenchReport> RunAsync(CancellationToken stop)
    {
        if (options.Validate() is { } problem)
        {
            throw new FerryClientException(problem);
        }

        using var abort = CancellationTokenSource.CreateLinkedTokenSource(stop);
        _abort = abort;
        _started = _time.GetTimestamp();
        _measureFrom = _started + Ticks(options.Warmup);
        _end = _measureFrom + Ticks(options.Duration);
        var tasks = new List<Task>(options.Clients);
        for (var i = 0; i < options.Clients; i++)
        {
            var client = new BenchClient();
            lock (_clients)
            {
                _clients.Add(client);
            }

            tasks.Add(Task.Run(() => RunClientAsync(client, abort.Token), CancellationToken.None));
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        if (_fatal is { } fatal)
        {
            throw new FerryClientException("no session could be opened: " + fatal.Message, fatal);
        }

        var finished = Math.Min(_time.GetTimestamp(), _end);
        return Report(Math.Max(0, finished - _measureFrom) / (double)_time.TimestampFrequency, stop.IsCancellationRequested);
    }

    private CancellationTokenSource? _abort;

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private long Micros(long ticks) => ticks * 1_000_000 / _time.TimestampFrequency;

    private async Task RunClientAsync(BenchClient client, CancellationToken stop)
    {
        BenchSession? session = null;
        var interval = options.Rate is { } rate ? _time.TimestampFrequency / rate : 0;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                long intended;
                if (options.Rate is not null)
                {
                    var k = Interlocked.Increment(ref _next) - 1;
                    intended = _started + (long)(k * interval);
                    if (intended >= _end)
                    {
                        return;
                    }

                    var wait = intended - _time.GetTimestamp();
                    if (wait > 0)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(wait / (double)_time.TimestampFrequency), _time, stop).ConfigureAwait(false);
                    }
                }
                else
                {
                    intended = _time.GetTimestamp();
                    if (intended >= _end)
                    {
                        return;
                    }
                }

                var measured = intended >= _measureFrom;
                try
                {
                    if (session is null)
                    {
                        var opening = _time.GetTimestamp();
                        session = await target.OpenAsync(stop).ConfigureAwait(false);
                        Volatile.Write(ref _opened, 1);
                        if (measured || _time.GetTimestamp() >= _measureFrom)
                        {
                            client.Connect.Record(Micros(_time.GetTimestamp() - opening));
                        }
                    }

                    var error = await session.RunAsync(options.Query, stop).ConfigureAwait(false);
                    if (options.ConnectEach || error is { EndsSession: true })
                    {
                        var closing = session;
                        session = null;
                        await closing.DisposeAsync().ConfigureAwait(false);
                    }

                    if (!measured)
                    {
                        continue;
                    }

                    if (error is null)
                    {
                        client.Succeeded(Micros(_time.GetTimestamp() - intended));
                    }
                    else
                    {
                        client.Failed(error.Code, error.Message);
                    }
                }
                catch (Exception e) when (Broken(e) is { } code)
                {
                    if (stop.IsCancellationRequested)
                    {
                        // Ctrl-C, the end, or another client's fatal refusal (which the run reports): this one's
                        // failure while stopping is not news.
                        return;
                    }

                    if (session is null && Volatile.Read(ref _opened) == 0 && e is FerryClientException or WireException { Failure: not WireFailure.Closed })
                    {
                        // A refusal before any session opened (a wrong password, RBAC): the whole run would only count it.
                        Interlocked.CompareExchange(ref _fatal, e, null);
                        await _abort!.CancelAsync().ConfigureAwait(false);
                        return;
                    }

                    if (session is not null)
                    {
                        await DisposeQuietlyAsync(session).ConfigureAwait(false);
                        session = null;
                    }

                    if (measured || _time.GetTimestamp() >= _measureFrom)
                    {
                        client.Failed(code, e.Message);
                    }

                    await Task.Delay(RetryPause, _time, stop).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Ctrl-C: what was measured so far is reported.
        }
        finally
        {
            if (session is not null)
            {
                await DisposeQuietlyAsync(session).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The error code of a session that broke or could not open; null for anything else (a defect, which propagates).</summary>
    private static string? Broken(Exception e) => e switch
    {
        WireException w => w.Code ?? "connect_" + w.Failure.ToString().ToLowerInvariant(),
        FerryClientException => "ferry",
        AuthenticationException => "tls",
        EndOfStreamException => "closed",
        IOException => "io",
        System.Net.Sockets.SocketException => "io",
        ObjectDisposedException => "closed",
        Ferry.Protocol.Postgres.PostgresProtocolException or Ferry.Protocol.MySql.MySqlProtocolException => "protocol",
        OperationCanceledException => "timeout",
        _ => null,
    };

    private static async Task DisposeQuietlyAsync(BenchSession session)
    {
        try
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
        }
    }

    private BenchReport Report(double seconds, bool interrupted)
    {
        var latency = new LatencyHistogram();
        var connect = new LatencyHistogram();
        var errors = new BenchErrorTally();
        foreach (var c in _clients)
        {
            latency.Add(c.Latency);
            connect.Add(c.Connect);
            errors.Add(c.Errors);
        }

        return new BenchReport
        {
            Target = target.Description,
            Protocol = target.Protocol,
            Clients = options.Clients,
            DurationSeconds = Math.Round(seconds, 3),
            WarmupSeconds = options.Warmup.TotalSeconds,
            Rate = options.Rate,
            ConnectEach = options.ConnectEach,
            Transactions = latency.Count,
            Tps = seconds > 0 ? Math.Round(latency.Count / seconds, 1) : 0,
            ErrorCount = errors.Total,
            Errors = [.. errors.Kinds.OrderByDescending(k => k.Value.Count).Select(k => new BenchErrorEntry { Code = k.Key, Count = k.Value.Count, FirstMessage = k.Value.FirstMessage })],
            Latency = BenchPercentiles.From(latency),
            Connect = BenchPercentiles.From(connect),
            Interrupted = interrupted,
        };
    }
}
