using System.IO.Pipelines;
using Ferry.Tunnel.FlowControl;

namespace Ferry.Tunnel;

/// <summary>
/// One logical stream of a <see cref="MuxSession"/>: a <see cref="Stream"/> and, for pipelines-based
/// relays, an <see cref="IDuplexPipe"/> (<see cref="Input"/>/<see cref="Output"/>). Use one or the
/// other per direction. Reads return 0 after the peer's FIN; <see cref="CompleteWrites"/> sends FIN;
/// <see cref="Reset"/> sends RST. Operations fail with <see cref="StreamResetException"/> or
/// <see cref="SessionClosedException"/>.
/// </summary>
public sealed partial class MuxStream : Stream, IDuplexPipe
{
    private static readonly PipeOptions ReceivePipeOptions = new(
        pauseWriterThreshold: 0, // the receive window bounds what the peer may buffer here
        resumeWriterThreshold: 0,
        readerScheduler: ReceiveScheduler.Instance, // the reader loop's wake-ups run inline
        writerScheduler: PipeScheduler.Inline,
        minimumSegmentSize: 16 * 1024, // one default-sized Data frame per segment
        useSynchronizationContext: false);

    private readonly MuxSession _session;
    private readonly Pipe _receive = new(ReceivePipeOptions);
    private readonly MuxStreamReader _input;
    private MuxStreamWriter? _output;

    // Everything below is guarded by the session lock.
    private FlowWindow _sendWindow = new(FlowWindow.Initial);
    private FlowWindow _receiveWindow = new(FlowWindow.Initial);
    private readonly ReceiveWindowPolicy _receivePolicy;
    private long _buffered;
    private bool _synPending;
    private bool _ackPending;
    private bool _finPending;
    private bool _finSent;
    private bool _finReceived;
    private bool _reset;
    private bool _inputCompleted;
    private bool _disposed;
    private bool _flushPending;

    internal MuxStream(MuxSession session, uint id, bool outbound, uint maxReceiveWindow)
    {
        _session = session;
        Id = id;
        _synPending = outbound;
        _receivePolicy = new ReceiveWindowPolicy(maxReceiveWindow);
        _input = new MuxStreamReader(this, _receive.Reader);
        _writeCore.RunContinuationsAsynchronously = true;
    }

    /// <summary>Stream id: odd when opened by the client (dialler), even when opened by the server.</summary>
    public uint Id { get; }

    /// <summary>Received bytes, in order; completes at the peer's FIN. Completing it discards further data.</summary>
    public PipeReader Input => _input;

    /// <summary>Bytes to send; completing it sends FIN (or RST when completed with an exception).</summary>
    public PipeWriter Output => _output ??= new MuxStreamWriter(this);

    /// <summary>True while the stream sits in the writer's round-robin queue (session lock).</summary>
    internal bool InReadyQueue { get; set; }

    /// <summary>Bytes received and not yet credited to the peer: neither consumed nor held by the application (bounded by the receive window).</summary>
    internal long BufferedUnsynchronized => _buffered;

    internal long SendWindowUnsynchronized => _sendWindow.Available;

    internal uint ReceiveWindowSizeUnsynchronized => _receivePolicy.WindowSize;

    internal bool IsFullyClosedUnsynchronized => _reset || (_finSent && _finReceived);

    internal bool IsResetUnsynchronized => _reset;

    internal bool ReceiveClosedUnsynchronized => _finReceived || _reset;

    internal MuxSession Session => _session;

    /// <summary>Half-closes this side: queues FIN after any data already written. Idempotent.</summary>
    public void CompleteWrites() => _session.CompleteWrites(this);

    /// <summary>Resets the stream (RST): both directions stop at once and pending operations fail.</summary>
    public void Reset() => _session.ResetStream(this, byPeer: false);

    /// <inheritdoc />
    public override string ToString() => $"MuxStream {Id}";

    internal void MarkAcceptedUnsynchronized() => _ackPending = !_reset;

    internal void MarkFinPendingUnsynchronized() => _finPending = !_finSent;

    internal bool WritesCompletedUnsynchronized => _finPending || _finSent;

    internal bool HasSendWorkUnsynchronized =>
        !_reset && (_synPending || _ackPending || (_finPending && _pendingWrite.IsEmpty) || (!_pendingWrite.IsEmpty && _sendWindow.Available > 0));

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            CloseBothDirections();
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync()
    {
        CloseBothDirections();
        return base.DisposeAsync();
    }

    private void CloseBothDirections()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_output is not null)
        {
            _output.CompleteInner();
        }

        _session.CompleteWrites(this);
        _input.Complete();
    }
}
