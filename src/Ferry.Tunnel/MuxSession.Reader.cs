using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using Ferry.Tunnel.Frames;

namespace Ferry.Tunnel;

/// <summary>The reader loop: parses frames and dispatches them; Data payloads stream through in pieces.</summary>
public sealed partial class MuxSession
{
    // Reader-loop state for a Data frame whose payload has not fully arrived yet.
    private MuxStream? _payloadStream;
    private long _payloadRemaining;
    private FrameFlags _payloadFlags;

    // Streams that received bytes during the current transport read (reader loop only).
    private readonly List<MuxStream> _delivered = [];

    private async Task ReaderLoopAsync()
    {
        PipeReader input = _transport.Input;
        try
        {
            while (true)
            {
                ReadResult result = await input.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    return; // Abort cancelled the read
                }

                ReadOnlySequence<byte> buffer = result.Buffer;
                bool signal = ProcessFrames(ref buffer);
                input.AdvanceTo(buffer.Start, buffer.End);
                if (signal)
                {
                    SignalWriter();
                }

                FlushDelivered();

                if (result.IsCompleted)
                {
                    Abort(SessionCloseReason.TransportClosed, null);
                    return;
                }
            }
        }
        catch (MuxProtocolException ex)
        {
            lock (_lock)
            {
                EnqueueControlUnsynchronized(FrameHeader.GoAway(GoAwayCode.ProtocolError));
            }

            Abort(SessionCloseReason.ProtocolError, new SessionClosedException(SessionCloseReason.ProtocolError, $"the peer broke the multiplexer protocol: {ex.Message}", ex));
        }
        catch (Exception ex)
        {
            Abort(SessionCloseReason.TransportError, new SessionClosedException(SessionCloseReason.TransportError, $"reading the tunnel failed: {ex.Message}", ex));
        }
    }

    /// <summary>Consumes every complete header and every available payload byte; returns whether the writer must wake.</summary>
    internal bool ProcessFrames(ref ReadOnlySequence<byte> buffer)
    {
        bool signal = false;
        while (true)
        {
            if (_payloadRemaining > 0)
            {
                if (buffer.IsEmpty)
                {
                    return signal;
                }

                long count = Math.Min(_payloadRemaining, buffer.Length);
                DeliverPayload(buffer.Slice(0, count));
                buffer = buffer.Slice(count);
                _payloadRemaining -= count;
                if (_payloadRemaining == 0)
                {
                    MuxStream? stream = _payloadStream;
                    _payloadStream = null;
                    signal |= ApplyCloseFlags(stream, _payloadFlags);
                }

                continue;
            }

            var reader = new SequenceReader<byte>(buffer);
            if (FrameHeader.TryRead(ref reader, out FrameHeader header) != OperationStatus.Done)
            {
                return signal;
            }

            buffer = buffer.Slice(FrameHeader.Size);
            signal |= header.Type switch
            {
                FrameType.Ping => HandlePing(header),
                FrameType.GoAway => HandleGoAway(header),
                _ => HandleStreamFrame(header),
            };
        }
    }

    private bool HandleStreamFrame(FrameHeader header)
    {
        if (header.StreamId == 0)
        {
            MuxProtocolException.Throw("a Data or WindowUpdate frame used the session id 0");
        }

        MuxStream? stream;
        bool signal = false;
        lock (_lock)
        {
            if (_closed)
            {
                stream = null;
            }
            else if ((header.Flags & FrameFlags.Syn) != 0)
            {
                stream = OpenIncomingUnsynchronized(header.StreamId, ref signal);
            }
            else
            {
                _streams.TryGetValue(header.StreamId, out stream);
            }

            if (stream is not null)
            {
                if (header.Type == FrameType.WindowUpdate)
                {
                    if (!stream.OnWindowUpdateUnsynchronized(header.Length))
                    {
                        MuxProtocolException.Throw($"a WindowUpdate overflowed the send window of stream {header.StreamId}");
                    }

                    signal |= ScheduleSendUnsynchronized(stream);
                }
                else if (header.Length > 0 && !stream.ReceiveClosedUnsynchronized && !stream.TryReserveReceiveUnsynchronized(header.Length))
                {
                    MuxProtocolException.Throw($"a Data frame of {header.Length} bytes exceeded the receive window of stream {header.StreamId}");
                }
            }
        }

        if (header.Type == FrameType.Data && header.Length > 0)
        {
            _payloadStream = stream;
            _payloadRemaining = header.Length;
            _payloadFlags = header.Flags;
            return signal;
        }

        return signal | ApplyCloseFlags(stream, header.Flags);
    }

    private MuxStream? OpenIncomingUnsynchronized(uint id, ref bool signal)
    {
        if ((id & 1) == (_isClient ? 1u : 0u))
        {
            MuxProtocolException.Throw($"the peer opened stream {id}, an id reserved for this side");
        }

        if (_streams.ContainsKey(id))
        {
            MuxProtocolException.Throw($"the peer opened stream {id} twice");
        }

        if (_localGoAway || _remoteGoAway is not null || !_streamSlots.Wait(0))
        {
            signal |= EnqueueControlUnsynchronized(FrameHeader.Reset(id));
            return null;
        }

        var stream = new MuxStream(this, id, outbound: false, (uint)_options.MaxReceiveWindow);
        if (!_acceptQueue.Writer.TryWrite(stream))
        {
            _streamSlots.Release(); // backlog full
            signal |= EnqueueControlUnsynchronized(FrameHeader.Reset(id));
            return null;
        }

        _streams.Add(id, stream);
        return stream;
    }

    private void DeliverPayload(ReadOnlySequence<byte> payload)
    {
        MuxStream? stream = _payloadStream;
        if (stream is null)
        {
            return; // unknown, rejected or closed stream: discard
        }

        lock (_lock)
        {
            if (!_closed && stream.DeliverUnsynchronized(payload))
            {
                _delivered.Add(stream);
            }
        }
    }

    /// <summary>Hands every stream that received bytes in this read its data, one wake-up per stream, lock released.</summary>
    private void FlushDelivered()
    {
        if (_delivered.Count == 0)
        {
            return;
        }

        foreach (MuxStream stream in _delivered)
        {
            stream.FlushReceived();
        }

        _delivered.Clear();
    }

    private bool ApplyCloseFlags(MuxStream? stream, FrameFlags flags)
    {
        if (stream is null || (flags & (FrameFlags.Fin | FrameFlags.Rst)) == 0)
        {
            return false;
        }

        lock (_lock)
        {
            if (_closed)
            {
                return false;
            }

            if ((flags & FrameFlags.Rst) != 0)
            {
                ResetStreamUnsynchronized(stream, byPeer: true);
            }
            else
            {
                stream.OnFinReceivedUnsynchronized();
            }
        }

        return false;
    }

    private bool HandlePing(FrameHeader header)
    {
        if ((header.Flags & FrameFlags.Syn) != 0)
        {
            lock (_lock)
            {
                return EnqueueControlUnsynchronized(FrameHeader.PingResponse(header.Length));
            }
        }

        if ((header.Flags & FrameFlags.Ack) != 0)
        {
            OnPingAnswered(header.Length, Stopwatch.GetTimestamp());
        }

        return false;
    }

    private bool HandleGoAway(FrameHeader header)
    {
        var code = (GoAwayCode)header.Length;
        if (code != GoAwayCode.Normal)
        {
            Abort(SessionCloseReason.RemoteGoAwayError, new SessionClosedException(
                SessionCloseReason.RemoteGoAwayError, $"the peer ended the session with GoAway code {header.Length}"));
            return false;
        }

        lock (_lock)
        {
            _remoteGoAway = code;
            _acceptQueue.Writer.TryComplete(new GoAwayException(code, byPeer: true));
        }

        return false;
    }
}
