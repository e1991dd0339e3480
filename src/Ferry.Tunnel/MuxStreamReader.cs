using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace Ferry.Tunnel;

/// <summary>
/// The stream's <see cref="PipeReader"/>: the receive pipe's reader, crediting the peer's window
/// with every byte the application consumes, and with the bytes it holds while it waits for more.
/// </summary>
/// <remarks>
/// An application that examined everything and waits for more (a message longer than what arrived, such as a
/// statement it inspects whole) holds the unconsumed bytes: they are credited then, or a message longer than the
/// receive window would never complete. The application's own message limit bounds what it buffers, as it would
/// behind a copying reader. Credited bytes are not credited again when the application consumes them.
/// </remarks>
internal sealed class MuxStreamReader(MuxStream stream, PipeReader inner) : PipeReader
{
    private ReadOnlySequence<byte> _lastBuffer;
    private bool _completed;

    // Bytes at the start of the unconsumed data that were already credited (held while waiting for more).
    private long _creditedAhead;

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        ValueTask<ReadResult> read = inner.ReadAsync(cancellationToken);
        if (read.IsCompletedSuccessfully)
        {
            ReadResult result = read.Result;
            _lastBuffer = result.Buffer;
            return new ValueTask<ReadResult>(result);
        }

        return AwaitRead(read);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadResult> AwaitRead(ValueTask<ReadResult> read)
    {
        ReadResult result = await read.ConfigureAwait(false);
        _lastBuffer = result.Buffer;
        return result;
    }

    public override bool TryRead(out ReadResult result)
    {
        if (!inner.TryRead(out result))
        {
            return false;
        }

        _lastBuffer = result.Buffer;
        return true;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        long consumedBytes = _lastBuffer.Slice(_lastBuffer.Start, consumed).Length;
        long settled = examined.Equals(_lastBuffer.End) ? _lastBuffer.Length : consumedBytes;
        long credit = Math.Max(0, settled - _creditedAhead);
        _creditedAhead = Math.Max(settled, _creditedAhead) - consumedBytes;
        _lastBuffer = default;
        inner.AdvanceTo(consumed, examined);
        stream.OnConsumed(credit);
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null)
    {
        if (_completed)
        {
            return;
        }

        _completed = true;
        _lastBuffer = default;
        inner.Complete(exception);
        stream.OnInputCompleted();
    }
}
