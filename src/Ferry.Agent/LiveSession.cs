using Ferry.Audit;
using Ferry.Identity;

namespace Ferry.Agent;

/// <summary>One relayed session: who, where, and how to end it.</summary>
public sealed class LiveSession(string id, UserIdentity identity, string database)
{
    private readonly CancellationTokenSource _terminate = new();

    public string Id { get; } = id;

    public UserIdentity Identity { get; } = identity;

    public string Database { get; } = database;

    /// <summary>Why the agent ended the session; null while nothing but its two sides may end it.</summary>
    public SessionEndReason? EndReason { get; private set; }

    public string? EndMessage { get; private set; }

    public CancellationToken Terminated => _terminate.Token;

    public void Terminate(SessionEndReason reason, string message)
    {
        if (EndReason is null)
        {
            EndReason = reason;
            EndMessage = message;
        }
        try
        {
            _terminate.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The session ended and disposed its token between the check above and this cancel: nothing left to stop.
        }
    }
}
