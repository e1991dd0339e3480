namespace Ferry.Audit;

/// <summary>
/// A session as <c>ferry play</c>, <c>GET /v1/audit/sessions/{id}</c> and the web UI show it:
/// <c>{"session":{...},"statements":[...]}</c>. Built by <see cref="SessionPlayback.Build"/>.
/// </summary>
public sealed class SessionPlaybackView
{
    public PlaybackSession Session { get; set; } = new();

    public List<PlaybackStatement> Statements { get; set; } = [];
}
