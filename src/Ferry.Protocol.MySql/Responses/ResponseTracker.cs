using System.Buffers;
using System.Collections.Concurrent;
using Ferry.Protocol.MySql.Packets;

namespace Ferry.Protocol.MySql.Responses;

/// <summary>
/// Follows the server → client packet stream of one connection response by response, so that the OK and ERR
/// packets that end each response can be told apart from rows (a text row may begin with 0x00, a binary row
/// always does). The command side announces each command's response shape with <see cref="Expect"/> before the
/// command is sent; the relay shows each server packet to <see cref="NeedsWhole"/> (header facts only), then to
/// <see cref="Step"/> — the whole payload when <see cref="NeedsWhole"/> said so (such packets are OK, ERR, EOF,
/// column counts and COM_STMT_PREPARE_OK: short), else at least its first byte.
/// <code>
///  response  = OK | ERR | LOCAL_INFILE_REQUEST response | resultset [more results]
///  resultset = column-count  column-def*n  [EOF]  row*  (EOF | OK(0xfe) | ERR)
///  prepare   = PREPARE_OK  param-def*p [EOF]  column-def*c [EOF]  | ERR
/// </code>
/// A packet of 0xFFFFFF bytes is followed by a continuation that is never classified. Thread safety:
/// <see cref="Expect"/> may be called from the command side while the response side steps.
/// </summary>
public sealed class ResponseTracker(MySqlCapabilities capabilities)
{
    /// <summary>Longest packet the tracker asks to see whole (OK and ERR packets are far shorter).</summary>
    public const int MaxWholePayload = 64 * 1024;

    private readonly ConcurrentQueue<(ExpectedResponse Kind, object? Tag)> _expected = new();
    private readonly bool _deprecateEof = (capabilities & MySqlCapabilities.DeprecateEof) != 0;
    private State _state;
    private object? _tag;
    private long _remaining;
    private ushort _prepareColumns;
    private bool _continuation;

    private enum State : byte
    {
        Idle,
        First,
        Columns,
        ColumnsEof,
        Rows,
        PrepareFirst,
        PrepareParams,
        PrepareParamsEof,
        PrepareColumns,
        PrepareColumnsEof,
        FieldList,
        Single,
        StreamFirst,
        Stream,
    }

    /// <summary>True when every response announced so far has ended.</summary>
    public bool Idle => _state == State.Idle && _expected.IsEmpty && !_continuation;

    /// <summary>Announces the response of a command about to be sent; <paramref name="tag"/> comes back with its steps.</summary>
    public void Expect(ExpectedResponse kind, object? tag = null) => _expected.Enqueue((kind, tag));

    /// <summary>Whether <see cref="Step"/> needs the packet's whole payload (then at most <see cref="MaxWholePayload"/> bytes: longer ones are not OK/EOF).</summary>
    public bool NeedsWhole(int payloadLength, byte first)
    {
        if (_continuation || payloadLength == 0 || payloadLength > MaxWholePayload)
        {
            return false;
        }

        return Current() switch
        {
            State.First or State.PrepareFirst or State.ColumnsEof => true,
            State.Rows or State.FieldList => first == ErrPacket.Header || IsTerminator(payloadLength, first),
            State.Single or State.StreamFirst or State.Idle => first == ErrPacket.Header,
            _ => false,
        };
    }

    /// <summary>Advances over one packet (see the class remarks for what <paramref name="payload"/> must hold).</summary>
    public ResponseStep Step(int payloadLength, in ReadOnlySequence<byte> payload)
    {
        if (_continuation)
        {
            _continuation = payloadLength == MySqlLimits.MaxPacketPayload;
            return new ResponseStep(ResponseStepKind.Data, _tag, false);
        }

        _continuation = payloadLength == MySqlLimits.MaxPacketPayload;
        // A slice that starts at a segment boundary has an empty first span: read the first byte across segments.
        Span<byte> head = stackalloc byte[1];
        head[0] = 0;
        payload.Slice(0, Math.Min(1, payload.Length)).CopyTo(head);
        var first = head[0];
        var state = Current();
        if (state != _state)
        {
            (_state, _tag) = (state, Dequeue());
        }

        switch (_state)
        {
            case State.Idle:
                return new ResponseStep(ResponseStepKind.Unexpected, null, false);
            case State.First:
                return First(payloadLength, payload, first);
            case State.Columns:
                if (--_remaining == 0)
                {
                    _state = _deprecateEof ? State.Rows : State.ColumnsEof;
                }

                return Data();
            case State.ColumnsEof:
                if (first == ErrPacket.Header)
                {
                    return End(ResponseStepKind.Err);
                }

                var eof = EofPacket.Read(payload, capabilities);
                // An open cursor: the rows come with COM_STMT_FETCH.
                return (eof.Status & ServerStatus.CursorExists) != 0 ? End(ResponseStepKind.Data) : Then(State.Rows);
            case State.Rows:
                if (first == ErrPacket.Header && payloadLength > 0)
                {
                    return End(ResponseStepKind.Err);
                }

                if (IsTerminator(payloadLength, first))
                {
                    return Terminator(payload);
                }

                return Data() with { IsRow = true };
            case State.PrepareFirst:
                if (first != OkPacket.OkHeader || payloadLength < StmtPrepareOk.PayloadLength)
                {
                    return End(ResponseStepKind.PrepareFirst);
                }

                var ok = StmtPrepareOk.Read(payload);
                _prepareColumns = ok.ColumnCount;
                return ToPrepareParams(ok.ParameterCount, ResponseStepKind.PrepareFirst);
            case State.PrepareParams:
                if (--_remaining == 0)
                {
                    _state = _deprecateEof ? State.Idle : State.PrepareParamsEof;
                    if (_deprecateEof)
                    {
                        return ToPrepareColumns(ResponseStepKind.Data);
                    }
                }

                return Data();
            case State.PrepareParamsEof:
                return ToPrepareColumns(ResponseStepKind.Data);
            case State.PrepareColumns:
                if (--_remaining == 0)
                {
                    if (_deprecateEof)
                    {
                        return End(ResponseStepKind.Data);
                    }

                    _state = State.PrepareColumnsEof;
                }

                return Data();
            case State.PrepareColumnsEof:
                return End(ResponseStepKind.Data);
            case State.FieldList:
                if (first == ErrPacket.Header)
                {
                    return End(ResponseStepKind.Err);
                }

                return IsTerminator(payloadLength, first) ? End(ResponseStepKind.Data) : Data();
            case State.Single:
                return End(first == ErrPacket.Header ? ResponseStepKind.Err : ResponseStepKind.Data);
            case State.StreamFirst:
                // A refused replication request is one ERR; an accepted one streams until the connection ends.
                return first == ErrPacket.Header ? End(ResponseStepKind.Err) : Then(State.Stream);
            default:
                return Data();
        }
    }

    private ResponseStep First(int payloadLength, in ReadOnlySequence<byte> payload, byte first)
    {
        switch (first)
        {
            case OkPacket.OkHeader:
                return Terminator(payload);
            case ErrPacket.Header:
                return End(ResponseStepKind.Err);
            case 0xFB:
                // LOCAL INFILE request: the client sends the file, then the server answers OK or ERR.
                return Data();
            case EofPacket.Header when payloadLength < 9:
                return End(ResponseStepKind.Data);
        }

        var r = new MySqlPayloadReader(payload, "column count");
        var columns = r.ReadLengthEncoded();
        r.ExpectEnd();
        if (columns == 0)
        {
            MySqlThrow.Malformed("result set with no columns");
        }

        _remaining = (long)Math.Min(columns, long.MaxValue);
        return Then(State.Columns);
    }

    /// <summary>An OK (0x00 first packet, or 0xFE ending rows under DEPRECATE_EOF) or EOF: another result follows when the server says so.</summary>
    private ResponseStep Terminator(in ReadOnlySequence<byte> payload)
    {
        OkPacket ok;
        // The first byte of a payload that may span segments (the first of which may be empty), or none.
        Span<byte> head = stackalloc byte[1];
        head[0] = 0;
        payload.Slice(0, Math.Min(1, payload.Length)).CopyTo(head);
        if (head[0] == OkPacket.OkHeader || _deprecateEof)
        {
            ok = OkPacket.Read(payload, capabilities);
        }
        else
        {
            var eof = EofPacket.Read(payload, capabilities);
            ok = new OkPacket(EofPacket.Header, 0, 0, eof.Status, eof.Warnings, default, default);
        }

        var more = (ok.Status & ServerStatus.MoreResultsExist) != 0;
        var step = new ResponseStep(ResponseStepKind.Ok, _tag, !more, ok);
        if (more)
        {
            _state = State.First;
        }
        else
        {
            _state = State.Idle;
        }

        return step;
    }

    private ResponseStep ToPrepareParams(ushort parameters, ResponseStepKind kind)
    {
        if (parameters > 0)
        {
            _remaining = parameters;
            _state = State.PrepareParams;
            return new ResponseStep(kind, _tag, false);
        }

        return ToPrepareColumns(kind);
    }

    private ResponseStep ToPrepareColumns(ResponseStepKind kind)
    {
        if (_prepareColumns > 0)
        {
            _remaining = _prepareColumns;
            _state = State.PrepareColumns;
            return new ResponseStep(kind, _tag, false);
        }

        return End(kind);
    }

    private bool IsTerminator(int payloadLength, byte first) =>
        first == EofPacket.Header && (_deprecateEof ? payloadLength < MySqlLimits.MaxPacketPayload : payloadLength < 9);

    private ResponseStep Data() => new(ResponseStepKind.Data, _tag, false);

    private ResponseStep Then(State next)
    {
        _state = next;
        return Data();
    }

    private ResponseStep End(ResponseStepKind kind)
    {
        var step = new ResponseStep(kind, _tag, true);
        _state = State.Idle;
        return step;
    }

    /// <summary>The state the next packet is read in: when idle, the next announced response's first state.</summary>
    private State Current()
    {
        if (_state != State.Idle || !_expected.TryPeek(out var next))
        {
            return _state;
        }

        return next.Kind switch
        {
            ExpectedResponse.Prepare => State.PrepareFirst,
            ExpectedResponse.FieldList => State.FieldList,
            ExpectedResponse.Rows => State.Rows,
            ExpectedResponse.SinglePacket => State.Single,
            ExpectedResponse.Stream => State.StreamFirst,
            _ => State.First,
        };
    }

    private object? Dequeue() => _expected.TryDequeue(out var next) ? next.Tag : null;
}
