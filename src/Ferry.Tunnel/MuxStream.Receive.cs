using System.Buffers;
using System.Diagnostics;
using Ferry.Tunnel.Frames;

namespace Ferry.Tunnel;

/// <summary>Receive side: payload copied from the transport into a per-stream pipe bounded by the window.</summary>
public sealed partial class MuxStream
{
    private bool _resetByPeer;

    /// <summary>Reserves window for an incoming Data frame; false when the peer overran the window (protocol error).</summary>
    internal bool TryReserveReceiveUnsynchronized(uint length) => _receiveWindow.TryConsume(length);

    /// <summary>
    /// Copies part of a Data frame's payload into the stream (reader loop, session lock held). The bytes
    /// reach the application at <see cref="FlushReceived"/>, which the reader loop calls after releasing the
    /// lock; returns true when this stream was not yet waiting for that call.
    /// </summary>
    internal bool DeliverUnsynchronized(in ReadOnlySequence<byte> payload)
    {
        if (_reset || _finReceived)
        {
            return false;
        }

        if (_inputCompleted)
        {
            // Nobody reads any more: drop the bytes but keep crediting the peer so it is never stuck.
            CreditUnsynchronized((uint)payload.Length);
            return false;
        }

        var writer = _receive.Writer;
        foreach (ReadOnlyMemory<byte> segment in payload)
        {
            writer.Write(segment.Span);
        }

        _buffered += payload.Length;
        bool first = !_flushPending;
        _flushPending = true;
        return first;
    }

    /// <summary>
    /// Publishes the delivered bytes to the reader (reader loop, no lock held). A relay waiting on this
    /// stream runs inline from here until its next pending await (see <see cref="ReceiveScheduler"/>).
    /// </summary>
    internal void FlushReceived()
    {
        lock (_session.SyncRoot)
        {
            if (!_flushPending)
            {
                return;
            }

            _flushPending = false;
            if (_reset || _finReceived || _inputCompleted)
            {
                return; // completing the pipe already published (or dropped) the bytes
            }
        }

        ReceiveScheduler.RunNextInline(static stream => stream.FlushReceiveWriter(), this);
    }

    private void FlushReceiveWriter()
    {
        try
        {
            ValueTask<System.IO.Pipelines.FlushResult> flush = _receive.Writer.FlushAsync();
            Debug.Assert(flush.IsCompleted, "the receive pipe never applies back-pressure");
            _ = flush.GetAwaiter().GetResult();
        }
        catch (InvalidOperationException)
        {
            // completed by a reset or the session closing between the check above and the flush
        }
    }

    /// <summary>The application consumed, or holds while it waits for more, <paramref name="bytes"/> (from <see cref="MuxStreamReader"/>).</summary>
    internal void OnConsumed(long bytes)
    {
        if (bytes <= 0)
        {
            return;
        }

        bool signal;
        lock (_session.SyncRoot)
        {
            _buffered -= bytes;
            signal = CreditUnsynchronized((uint)bytes);
        }

        if (signal)
        {
            _session.SignalWriter();
        }
    }

    /// <summary>The application completed <see cref="Input"/>: drop buffered and future data, crediting it.</summary>
    internal void OnInputCompleted()
    {
        bool signal;
        lock (_session.SyncRoot)
        {
            if (_inputCompleted)
            {
                return;
            }

            _inputCompleted = true;
            long buffered = _buffered;
            _buffered = 0;
            signal = CreditUnsynchronized((uint)buffered);
        }

        if (signal)
        {
            _session.SignalWriter();
        }
    }

    private bool CreditUnsynchronized(uint bytes)
    {
        if (_reset || _finReceived || bytes == 0)
        {
            return false;
        }

        uint delta = _receivePolicy.OnConsumedUnsynchronized(bytes, Stopwatch.GetTimestamp(), _session.RttTicks);
        if (delta == 0)
        {
            return false;
        }

        _receiveWindow.TryIncrease(delta);
        return _session.EnqueueControlUnsynchronized(FrameHeader.WindowUpdate(Id, FrameFlags.None, delta));
    }

    /// <summary>The peer sent FIN: the reader sees end of stream after the buffered bytes.</summary>
    internal void OnFinReceivedUnsynchronized()
    {
        if (_finReceived || _reset)
        {
            return;
        }

        _finReceived = true;
        _receive.Writer.Complete();
        _session.ForgetIfClosedUnsynchronized(this);
    }

    /// <summary>Marks the stream reset: pending and future operations fail with <see cref="StreamResetException"/>.</summary>
    internal bool MarkResetUnsynchronized(bool byPeer)
    {
        if (_reset || (_finSent && _finReceived))
        {
            return false;
        }

        _reset = true;
        _resetByPeer = byPeer;
        _finPending = false;
        _synPending = false;
        _ackPending = false;
        CompleteWriteUnsynchronized(new StreamResetException(Id, byPeer));
        if (!_finReceived)
        {
            _receive.Writer.Complete(new StreamResetException(Id, byPeer));
        }

        return true;
    }

    /// <summary>The session closed: pending and future operations fail with <paramref name="error"/>.</summary>
    internal void FailUnsynchronized(Exception error)
    {
        CompleteWriteUnsynchronized(error);
        if (!_finReceived && !_reset)
        {
            _receive.Writer.Complete(error);
        }

        _reset = true;
    }
}
