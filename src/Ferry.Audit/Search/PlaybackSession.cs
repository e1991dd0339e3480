namespace Ferry.Audit;

/// <summary>Who, where and when of a played-back session, from its start and end events.</summary>
public sealed class PlaybackSession
{
    public string SessionId { get; set; } = "";

    public string? User { get; set; }

    public IReadOnlyList<string>? Roles { get; set; }

    /// <summary><c>postgres</c> or <c>mysql</c>.</summary>
    public string? Protocol { get; set; }

    public string? Database { get; set; }

    public string? DbUser { get; set; }

    public string? DbName { get; set; }

    public string? ClientAddr { get; set; }

    public string? AgentId { get; set; }

    public DateTimeOffset? Start { get; set; }

    public DateTimeOffset? End { get; set; }

    /// <summary>Why the session ended (<c>client_closed</c>, <c>lock</c>, …); null while it is live or when the end was not recorded.</summary>
    public string? EndReason { get; set; }

    /// <summary>The end event's message (for example the reason given to <c>ferry sessions end</c>).</summary>
    public string? EndError { get; set; }

    /// <summary>True when the session was refused at start (<see cref="EndError"/> says why).</summary>
    public bool Denied { get; set; }

    public long? BytesIn { get; set; }

    public long? BytesOut { get; set; }

    public long? DurationUs { get; set; }

    /// <summary>Sum of the statements' rows.</summary>
    public long Rows { get; set; }

    /// <summary>Sum of the statements' result bytes.</summary>
    public long Bytes { get; set; }

    /// <summary>How many statements failed.</summary>
    public int Errors { get; set; }
}
