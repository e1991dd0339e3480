using System.Collections.Concurrent;
using System.Globalization;
using Ferry.Contracts;
using Ferry.Diagnostics;
using Ferry.Identity;
using Ferry.Rbac;

namespace Ferry.Agent.Hosting;

/// <summary>
/// The agent's side of the shared egress budgets (<see cref="IEgressBudget"/>). <see cref="Record"/> and
/// <see cref="Refusal"/> answer from a local copy: the totals across the cluster as of the last exchange with the auth
/// service, plus what this agent counted since. <see cref="RunAsync"/> sends the counted deltas in batches
/// (<c>POST /v1/egress</c>) every <see cref="EgressBudgetOptions.FlushInterval"/> while there are some, refreshes the
/// totals of budgets in use every <see cref="EgressBudgetOptions.RefreshInterval"/>, and keeps unsent deltas (one sum
/// per budget, so the backlog is bounded by the number of budgets, not of statements) to retry with backoff when the
/// auth service is away.
/// <para>
/// Failure mode: while the auth service has not answered for <see cref="EgressBudgetOptions.StaleAfter"/>, the agent
/// fails <b>closed</b> on a budget it has never seen or that is <see cref="EgressBudgetOptions.NearlySpent"/> (new sessions
/// refused, running ones stopped at the next result), and open below that (it keeps counting and reports later).
/// </para>
/// </summary>
public sealed class EgressBudgetClient : IEgressBudget, IDisposable
{
    private readonly Func<EgressReport, CancellationToken, Task<EgressReportResponse>> _exchange;
    private readonly TimeProvider _time;
    private readonly Action<string> _log;
    private readonly EgressBudgetOptions _options;
    private readonly ConcurrentDictionary<Key, Entry> _entries = new();
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly IDisposable _syncAge;
    private readonly DateTimeOffset _started;
    private DateTimeOffset? _lastSuccess;
    private DateTimeOffset? _lastFailure;
    private string? _failing;

    public EgressBudgetClient(Func<EgressReport, CancellationToken, Task<EgressReportResponse>> exchange, Action<string> log, TimeProvider? time = null, EgressBudgetOptions? options = null)
    {
        _exchange = exchange ?? throw new ArgumentNullException(nameof(exchange));
        _log = log ?? throw new ArgumentNullException(nameof(log));
        _time = time ?? TimeProvider.System;
        _options = options ?? new EgressBudgetOptions();
        _started = _time.GetUtcNow();
        _syncAge = EgressMetrics.TrackSyncAge(() => _entries.IsEmpty ? 0 : (_time.GetUtcNow() - (_lastSuccess ?? _started)).TotalSeconds);
    }

    /// <summary>Budgets tracked now.</summary>
    public int Count => _entries.Count;

    /// <summary>True while the auth service has not answered for <see cref="EgressBudgetOptions.StaleAfter"/> after a failure.</summary>
    public bool Stale
    {
        get
        {
            var failure = _lastFailure;
            var success = _lastSuccess;
            return failure is { } f && (success is not { } s || f > s) && _time.GetUtcNow() - (success ?? _started) >= _options.StaleAfter;
        }
    }

    public string? Refusal(UserIdentity identity, string database, EgressLimit limit)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(limit);
        if (limit.Rows is null && limit.Bytes is null)
        {
            return null;
        }

        var entry = EntryFor(identity, database, limit);
        var now = _time.GetUtcNow();
        if (!entry.Known && !Stale)
        {
            Wake();
            entry.Learned.Wait(_options.FirstAnswerWait);
        }

        long rows, bytes;
        bool known;
        DateTimeOffset windowEnd;
        lock (entry)
        {
            entry.Roll(now);
            entry.LastUsed = now;
            (rows, bytes, known, windowEnd) = (entry.UsedRows, entry.UsedBytes, entry.Known, entry.WindowEnd);
        }

        if (!known && Stale)
        {
            EgressMetrics.Refused("session_refused", "auth_unreachable");
            return $"cannot check your egress budget on {database}: the auth service is unreachable; try again in a minute";
        }

        if (!known)
        {
            return null; // no answer yet but the auth service is not known to be away: the first results will tell
        }

        if ((limit.Rows is { } r && rows >= r) || (limit.Bytes is { } b && bytes >= b))
        {
            EgressMetrics.Refused("session_refused", "spent");
            return Spent(identity.User, database, limit, rows, bytes, windowEnd) + "; new sessions are refused until then (or ask for more with `ferry request create`)";
        }

        if (Stale && Nearly(limit, rows, bytes))
        {
            EgressMetrics.Refused("session_refused", "auth_unreachable");
            return $"your egress budget on {database} is nearly spent and the auth service is unreachable to confirm it: try again later";
        }

        return null;
    }

    public string? Record(UserIdentity identity, string database, EgressLimit limit, long rows, long bytes)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(limit);
        if (limit.Rows is null && limit.Bytes is null)
        {
            return null;
        }

        var entry = EntryFor(identity, database, limit);
        var now = _time.GetUtcNow();
        long usedRows, usedBytes;
        DateTimeOffset windowEnd;
        bool known;
        lock (entry)
        {
            entry.Roll(now);
            entry.PendingRows += Math.Max(0, rows);
            entry.PendingBytes += Math.Max(0, bytes);
            entry.LastUsed = now;
            (usedRows, usedBytes, windowEnd, known) = (entry.UsedRows, entry.UsedBytes, entry.WindowEnd, entry.Known);
        }

        if ((limit.Rows is { } r && usedRows > r) || (limit.Bytes is { } b && usedBytes > b))
        {
            Wake();
            EgressMetrics.Refused("statement_stopped", "spent");
            return Spent(identity.User, database, limit, usedRows, usedBytes, known ? windowEnd : null) + "; this session ends";
        }

        if (Stale && Nearly(limit, usedRows, usedBytes))
        {
            EgressMetrics.Refused("statement_stopped", "auth_unreachable");
            return $"your egress budget on {database} is nearly spent and the auth service is unreachable to confirm it; this session ends";
        }

        return null;
    }

    /// <summary>Exchanges usage with the auth service until <paramref name="ct"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var backoff = _options.FlushInterval;
        while (!ct.IsCancellationRequested)
        {
            var ok = await ExchangeOnceAsync(ct).ConfigureAwait(false);
            backoff = ok ? _options.FlushInterval : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
            Forget(_time.GetUtcNow());
            try
            {
                if (ok)
                {
                    await _wake.WaitAsync(_options.FlushInterval, ct).ConfigureAwait(false);
                }
                else
                {
                    await Task.Delay(backoff, _time, ct).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// One exchange: sends what is due (counted deltas, budgets not yet known, totals due for a refresh) and takes the
    /// totals back. False when the auth service could not be reached (the deltas stay to be sent again).
    /// </summary>
    public async Task<bool> ExchangeOnceAsync(CancellationToken ct = default)
    {
        var batch = TakeBatch(_time.GetUtcNow());
        if (batch.Count == 0)
        {
            return true;
        }

        var report = new EgressReport { Usage = [.. batch.Select(x => x.Delta)] };
        try
        {
            var answer = await _exchange(report, ct).ConfigureAwait(false);
            Apply(batch, answer, _time.GetUtcNow());
            _lastSuccess = _time.GetUtcNow();
            EgressMetrics.Report(true, report.Usage.Sum(u => u.Rows), report.Usage.Sum(u => u.Bytes));
            _failing = null;
            return true;
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is not OutOfMemoryException)
        {
            Return(batch);
            _lastFailure = _time.GetUtcNow();
            EgressMetrics.Report(false, 0, 0);
            if (_failing != e.Message)
            {
                _log($"cannot exchange egress usage with the auth service (retrying; budgets nearly spent or unknown fail closed after {_options.StaleAfter.TotalSeconds:0}s): {e.Message}");
            }

            _failing = e.Message;
            return false;
        }
    }

    public void Dispose()
    {
        _syncAge.Dispose();
        _wake.Dispose();
        foreach (var e in _entries.Values)
        {
            e.Learned.Dispose();
        }
    }

    private void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already awake.
            }
        }
    }

    private Entry EntryFor(UserIdentity identity, string database, EgressLimit limit)
    {
        var per = Math.Max(1, (long)limit.Per.TotalSeconds);
        var entry = _entries.GetOrAdd(new Key(identity.User, database, per, GrantOf(identity)), static (k, now) => new Entry(k, now), _time.GetUtcNow());
        entry.RowsLimit = limit.Rows;
        entry.BytesLimit = limit.Bytes;
        return entry;
    }

    private List<(Entry Entry, EgressUsageDelta Delta)> TakeBatch(DateTimeOffset now)
    {
        var batch = new List<(Entry, EgressUsageDelta)>();
        foreach (var entry in _entries.Values)
        {
            if (batch.Count >= _options.BatchSize)
            {
                Wake(); // more to send: go round again at once
                break;
            }

            lock (entry)
            {
                entry.Roll(now);
                var due = entry.PendingRows != 0 || entry.PendingBytes != 0 || !entry.Known
                    || (now - entry.LastUsed < _options.ForgetAfter && now - entry.LastExchanged >= _options.RefreshInterval);
                if (!due)
                {
                    continue;
                }

                entry.InFlightRows = entry.PendingRows;
                entry.InFlightBytes = entry.PendingBytes;
                entry.PendingRows = 0;
                entry.PendingBytes = 0;
                batch.Add((entry, new EgressUsageDelta
                {
                    User = entry.Key.User,
                    Database = entry.Key.Database,
                    PerSeconds = entry.Key.PerSeconds,
                    Grant = entry.Key.Grant,
                    Rows = entry.InFlightRows,
                    Bytes = entry.InFlightBytes,
                    RowsLimit = entry.RowsLimit,
                    BytesLimit = entry.BytesLimit,
                }));
            }
        }

        return batch;
    }

    private static void Apply(List<(Entry Entry, EgressUsageDelta Delta)> batch, EgressReportResponse answer, DateTimeOffset now)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            var entry = batch[i].Entry;
            var total = i < answer.Usage.Count ? answer.Usage[i] : null;
            lock (entry)
            {
                entry.InFlightRows = 0;
                entry.InFlightBytes = 0;
                if (total is not null)
                {
                    entry.ServerRows = total.Rows;
                    entry.ServerBytes = total.Bytes;
                    entry.WindowEnd = total.WindowEnd;
                    entry.Known = true;
                }

                entry.LastExchanged = now;
            }

            if (total is not null)
            {
                entry.Learned.Set();
            }
        }
    }

    private static void Return(List<(Entry Entry, EgressUsageDelta Delta)> batch)
    {
        foreach (var (entry, _) in batch)
        {
            lock (entry)
            {
                entry.PendingRows += entry.InFlightRows;
                entry.PendingBytes += entry.InFlightBytes;
                entry.InFlightRows = 0;
                entry.InFlightBytes = 0;
            }
        }
    }

    private void Forget(DateTimeOffset now)
    {
        var over = _entries.Count - _options.MaxEntries;
        foreach (var (key, entry) in _entries)
        {
            bool idle;
            lock (entry)
            {
                idle = entry.PendingRows == 0 && entry.PendingBytes == 0 && entry.InFlightRows == 0 && entry.InFlightBytes == 0
                    && (over > 0 || now - entry.LastUsed >= _options.ForgetAfter);
            }

            if (idle && _entries.TryRemove(KeyValuePair.Create(key, entry)))
            {
                over--;
            }
        }
    }

    private bool Nearly(EgressLimit limit, long rows, long bytes) =>
        (limit.Rows is { } r && rows >= r * _options.NearlySpent) || (limit.Bytes is { } b && bytes >= b * _options.NearlySpent);

    private static string Spent(string user, string database, EgressLimit limit, long rows, long bytes, DateTimeOffset? windowEnd)
    {
        var parts = new List<string>();
        if (limit.Rows is { } r)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{rows} of {r} rows"));
        }

        if (limit.Bytes is { } b)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{bytes} of {b} bytes"));
        }

        var until = windowEnd is { } end && end != DateTimeOffset.MinValue
            ? " until " + end.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)
            : "";
        return $"{user} has taken {string.Join(" and ", parts)} from {database} in this {Ferry.Text.DurationText.Format(limit.Per)} window{until}";
    }

    /// <summary>
    /// The approved access requests a certificate names, as the budget's grant (sorted, comma-separated; empty for
    /// none): sessions under a request count against a budget of their own, so an approved request grants more.
    /// </summary>
    internal static string GrantOf(UserIdentity identity)
    {
        var ids = identity.AccessRequestIds;
        if (ids.Count == 0)
        {
            return "";
        }

        var sorted = ids.Distinct(StringComparer.Ordinal).ToArray();
        Array.Sort(sorted, StringComparer.Ordinal);
        return string.Join(',', sorted);
    }

    private readonly record struct Key(string User, string Database, long PerSeconds, string Grant);

    private sealed class Entry(Key key, DateTimeOffset now)
    {
        public readonly Key Key = key;
        public readonly ManualResetEventSlim Learned = new(false);
        public long ServerRows;
        public long ServerBytes;
        public long PendingRows;
        public long PendingBytes;
        public long InFlightRows;
        public long InFlightBytes;
        public bool Known;
        public DateTimeOffset WindowEnd = DateTimeOffset.MinValue;
        public DateTimeOffset LastUsed = now;
        public DateTimeOffset LastExchanged = DateTimeOffset.MinValue;
        public long? RowsLimit;
        public long? BytesLimit;

        public long UsedRows => ServerRows + InFlightRows + PendingRows;

        public long UsedBytes => ServerBytes + InFlightBytes + PendingBytes;

        /// <summary>Past the end of the known window, the totals start again from zero (the auth service agrees: fixed windows).</summary>
        public void Roll(DateTimeOffset now)
        {
            if (Known && now >= WindowEnd)
            {
                var per = TimeSpan.FromSeconds(Key.PerSeconds);
                var skipped = (now - WindowEnd).Ticks / per.Ticks;
                WindowEnd += per * (skipped + 1);
                ServerRows = 0;
                ServerBytes = 0;
            }
        }
    }
}
