using System.Security.Cryptography;

namespace Ferry.Agent.Postgres;

/// <summary>
/// The refusals of one session whose stand-in the server has not answered yet. Each stand-in names a prepared
/// statement <c>ferry_refused_&lt;random&gt;_&lt;n&gt;</c> that no client can have created (the random part is fresh per
/// session); the server's "does not exist" error for it names it back, and <see cref="Take"/> turns that error into
/// the refusal's message. The relay towards the server adds, the one towards the client takes: a lock guards both.
/// At most <see cref="Capacity"/> are kept (a stand-in the server discarded after an earlier error is never answered).
/// </summary>
internal sealed class PendingRefusals
{
    public const int Capacity = 32;

    private readonly string _prefix = "ferry_refused_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)) + "_";
    private readonly Queue<(string Name, Refusal Refusal)> _pending = new();
    private readonly Lock _lock = new();
    private int _next;
    private volatile int _count;

    public bool IsEmpty => _count == 0;

    /// <summary>What the client is told in place of the server's error: SQLSTATE, message, hint.</summary>
    public sealed record Refusal(string SqlState, string Message, string? Hint);

    /// <summary>Notes a refusal and returns the statement name its stand-in uses.</summary>
    public string Add(string message, string sqlState = "54000", string? hint = null)
    {
        lock (_lock)
        {
            var name = _prefix + _next++.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (_pending.Count == Capacity)
            {
                _pending.Dequeue();
            }
            _pending.Enqueue((name, new Refusal(sqlState, message, hint)));
            _count = _pending.Count;
            return name;
        }
    }

    /// <summary>The message of the refusal whose statement name <paramref name="serverMessage"/> quotes, or null; earlier (unanswered) ones are dropped.</summary>
    public Refusal? Take(string serverMessage)
    {
        lock (_lock)
        {
            if (!serverMessage.Contains(_prefix, StringComparison.Ordinal))
            {
                return null;
            }
            while (_pending.TryDequeue(out var entry))
            {
                _count = _pending.Count;
                if (serverMessage.Contains('"' + entry.Name + '"', StringComparison.Ordinal))
                {
                    return entry.Refusal;
                }
            }
            return null;
        }
    }
}
