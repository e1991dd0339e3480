using System.Diagnostics;
using System.IO.Pipelines;
using System.Threading.Channels;
using Ferry.Tunnel.Frames;

namespace Ferry.Tunnel;

/// <summary>
/// A yamux-compatible multiplexer session over one duplex transport (an <see cref="IDuplexPipe"/> or a
/// <see cref="Stream"/> such as an authenticated SslStream). The client (dialler) opens odd stream ids,
/// the server (listener) even ones. Reading, writing and keepalive loops start at creation;
/// <see cref="Completion"/> ends when the session does.
/// </summary>
public sealed partial class MuxSession : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly IDuplexPipe _transport;
    private readonly Stream? _ownedStream;
    private readonly MuxOptions _options;
    private readonly bool _isClient;
    private readonly Dictionary<uint, MuxStream> _streams = [];
    private readonly Queue<FrameHeader> _controlFrames = new();
    private readonly Queue<MuxStream> _readyStreams = new();
    private readonly Channel<MuxStream> _acceptQueue;
    private readonly SemaphoreSlim _streamSlots;
    private readonly AsyncSignal _writerSignal = new();
    private readonly CancellationTokenSource _closedCts = new();
    private readonly Task _readerLoop;
    private readonly Task _writerLoop;
    private readonly Task _keepAliveLoop;
    private uint _nextStreamId;
    private bool _localGoAway;
    private GoAwayCode? _remoteGoAway;
    private bool _closed;
    private bool _controlOverflow;
    private SessionCloseReason _closeReason;
    private Exception? _closeCause;
    private TaskCompletionSource? _drained;
    private long _rttTicks;

    private MuxSession(IDuplexPipe transport, Stream? ownedStream, MuxOptions options, bool isClient)
    {
        options.Validate();
        _transport = transport;
        _ownedStream = ownedStream;
        _options = options;
        _isClient = isClient;
        _nextStreamId = isClient ? 1u : 2u;
        _streamSlots = new SemaphoreSlim(options.MaxStreams);
        _acceptQueue = Channel.CreateBounded<MuxStream>(new BoundedChannelOptions(options.AcceptBacklog)
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _readerLoop = Task.Run(ReaderLoopAsync);
        _writerLoop = Task.Run(WriterLoopAsync);
        _keepAliveLoop = Task.Run(KeepAliveLoopAsync);
        Completion = FinishAsync();
    }

    /// <summary>Starts the dialling side (odd stream ids) over a duplex pipe.</summary>
    public static MuxSession Client(IDuplexPipe transport, MuxOptions? options = null) =>
        new(transport ?? throw new ArgumentNullException(nameof(transport)), null, options ?? MuxOptions.Default, isClient: true);

    /// <summary>Starts the dialling side over a stream; the session disposes the stream when it ends.</summary>
    public static MuxSession Client(Stream transport, MuxOptions? options = null) =>
        new(DuplexPipe.FromStream(transport ?? throw new ArgumentNullException(nameof(transport))), transport, options ?? MuxOptions.Default, isClient: true);

    /// <summary>Starts the listening side (even stream ids) over a duplex pipe.</summary>
    public static MuxSession Server(IDuplexPipe transport, MuxOptions? options = null) =>
        new(transport ?? throw new ArgumentNullException(nameof(transport)), null, options ?? MuxOptions.Default, isClient: false);

    /// <summary>Starts the listening side over a stream; the session disposes the stream when it ends.</summary>
    public static MuxSession Server(Stream transport, MuxOptions? options = null) =>
        new(DuplexPipe.FromStream(transport ?? throw new ArgumentNullException(nameof(transport))), transport, options ?? MuxOptions.Default, isClient: false);

    /// <summary>True for the dialling side.</summary>
    public bool IsClient => _isClient;

    /// <summary>
    /// Completes when the session ends: successfully when closed locally or when the peer closed the
    /// transport; faulted with <see cref="KeepAliveTimeoutException"/>, <see cref="WriteTimeoutException"/>
    /// or <see cref="SessionClosedException"/> (with its <see cref="SessionClosedException.Reason"/>) otherwise.
    /// </summary>
    public Task Completion { get; }

    /// <summary>Last round-trip time measured by a ping, or null before the first answer.</summary>
    public TimeSpan? Rtt
    {
        get
        {
            long ticks = Volatile.Read(ref _rttTicks);
            return ticks == 0 ? null : Stopwatch.GetElapsedTime(0, ticks);
        }
    }

    /// <summary>Streams currently open (not yet closed in both directions nor reset).</summary>
    public int StreamCount
    {
        get
        {
            lock (_lock)
            {
                return _streams.Count;
            }
        }
    }

    internal Lock SyncRoot => _lock;

    internal long RttTicks => Volatile.Read(ref _rttTicks);

    internal MuxOptions Options => _options;

    /// <summary>
    /// Wakes the writer loop for work queued under the lock just before. Not needed while someone owns the
    /// output: every owner re-checks for queued work under the lock before giving the output back, and
    /// signals then; a wake-up now would find the output taken and only cost a thread-pool hand-off.
    /// </summary>
    internal void SignalWriter()
    {
        if (!Volatile.Read(ref _writerOwned))
        {
            _writerSignal.Set();
        }
    }

    /// <summary>Returns the exception for operations on a closed session, or null while it is open.</summary>
    internal Exception? GetClosedExceptionUnsynchronized() =>
        _closed ? new SessionClosedException(_closeReason, DescribeClose(_closeReason), _closeCause) : null;

    /// <summary>Queues a control frame; returns true when the writer must be signalled. Overflow aborts the session.</summary>
    internal bool EnqueueControlUnsynchronized(FrameHeader header)
    {
        if (_closed)
        {
            return false;
        }

        if (_controlFrames.Count >= _options.MaxQueuedControlFrames)
        {
            _controlOverflow = true; // the writer loop aborts the session
            return true;
        }

        _controlFrames.Enqueue(header);
        return true;
    }

    /// <summary>Puts a stream with something to send at the tail of the round-robin queue.</summary>
    internal bool ScheduleSendUnsynchronized(MuxStream stream)
    {
        if (_closed || stream.InReadyQueue || !stream.HasSendWorkUnsynchronized)
        {
            return false;
        }

        stream.InReadyQueue = true;
        _readyStreams.Enqueue(stream);
        return true;
    }

    /// <summary>Drops a stream from the table once both directions closed or it was reset.</summary>
    internal void ForgetIfClosedUnsynchronized(MuxStream stream)
    {
        if (!stream.IsFullyClosedUnsynchronized || !_streams.Remove(stream.Id))
        {
            return;
        }

        _streamSlots.Release();
        if (_streams.Count == 0)
        {
            _drained?.TrySetResult();
        }
    }

    private static string DescribeClose(SessionCloseReason reason) => reason switch
    {
        SessionCloseReason.LocalClose => "the multiplexer session was closed locally",
        SessionCloseReason.TransportClosed => "the peer closed the tunnel connection",
        SessionCloseReason.TransportError => "the tunnel connection failed",
        SessionCloseReason.ProtocolError => "the peer broke the multiplexer protocol",
        SessionCloseReason.RemoteGoAwayError => "the peer ended the session with an error",
        SessionCloseReason.KeepAliveTimeout => "the peer stopped answering keepalive pings",
        SessionCloseReason.WriteTimeout => "the peer stopped reading from the tunnel",
        SessionCloseReason.QueueOverflow => "the peer flooded the session with frames that need an answer without reading them",
        _ => "the multiplexer session is closed",
    };
}
