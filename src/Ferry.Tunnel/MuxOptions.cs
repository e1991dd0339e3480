namespace Ferry.Tunnel;

/// <summary>Settings of a <see cref="MuxSession"/>. Defaults suit a proxy/agent tunnel.</summary>
public sealed class MuxOptions
{
    /// <summary>Default options.</summary>
    public static MuxOptions Default { get; } = new();

    /// <summary>Incoming streams waiting for <see cref="MuxSession.AcceptStreamAsync"/>; beyond it new streams are reset. Default 256.</summary>
    public int AcceptBacklog { get; init; } = 256;

    /// <summary>Streams open at once (both directions). Incoming streams beyond it are reset;
    /// <see cref="MuxSession.OpenStreamAsync"/> waits for a slot. Default 1024.</summary>
    public int MaxStreams { get; init; } = 1024;

    /// <summary>Largest per-stream receive window auto-tuning may reach. Default 16 MiB (minimum 256 KiB).</summary>
    public int MaxReceiveWindow { get; init; } = 16 * 1024 * 1024;

    /// <summary>Largest payload of one Data frame; smaller frames keep streams fair. Default 16 KiB.</summary>
    public int MaxFrameSize { get; init; } = 16 * 1024;

    /// <summary>Outgoing control frames (window updates, pings, resets) that may wait; overflow aborts the session. Default 4096.</summary>
    public int MaxQueuedControlFrames { get; init; } = 4096;

    /// <summary>Time between keepalive pings; <see cref="TimeSpan.Zero"/> or infinite disables them. Default 30 s.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a ping may wait for its answer before the peer is declared dead. Default 30 s.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the transport may take to accept written bytes before the session aborts. Default 10 s.</summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(10);

    internal bool KeepAliveEnabled => KeepAliveInterval > TimeSpan.Zero && KeepAliveInterval != Timeout.InfiniteTimeSpan;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(AcceptBacklog, 1, nameof(AcceptBacklog));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxStreams, 1, nameof(MaxStreams));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFrameSize, 1024, nameof(MaxFrameSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxFrameSize, 1024 * 1024, nameof(MaxFrameSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxReceiveWindow, (int)FlowControl.FlowWindow.Initial, nameof(MaxReceiveWindow));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxQueuedControlFrames, 16, nameof(MaxQueuedControlFrames));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(KeepAliveTimeout, TimeSpan.Zero, nameof(KeepAliveTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(WriteTimeout, TimeSpan.Zero, nameof(WriteTimeout));
    }
}
