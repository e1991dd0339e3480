using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Ferry.Agent.Postgres;

namespace Ferry.Agent;

/// <summary>The reads and writes of a relay direction: a closed or cancelled side ends the direction instead of throwing.</summary>
internal static class RelayIo
{
    /// <summary>
    /// Reads a client or server stream without holding a buffer while it is idle. A tunnel stream is already a pipe:
    /// its own reader is used, without a stream and a second pipe (and a copy) in between.
    /// </summary>
    public static PipeReader ReaderFor(Stream stream) => stream is IDuplexPipe pipe ? pipe.Input :
        PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true, useZeroByteReads: true));

    /// <summary>
    /// Runs one direction: hands each read to <paramref name="forward"/>, which forwards what it can and
    /// says how much it consumed and whether the direction ends there. A cancelled read ends it as
    /// <see cref="RelayEnd.Terminated"/>, a failed or completed one as <see cref="RelayEnd.SourceClosed"/>.
    /// </summary>
    public static async Task<RelayEnd> RunAsync(PipeReader source, Func<ReadOnlySequence<byte>, ValueTask<(long Consumed, RelayEnd? End)>> forward, CancellationToken ct)
    {
        while (true)
        {
            ReadResult result;
            try
            {
                result = await source.ReadAsync(ct);
            }
            catch (OperationCanceledException)
            {
                return RelayEnd.Terminated;
            }
            catch (IOException)
            {
                return RelayEnd.SourceClosed;
            }
            if (result.IsCanceled)
            {
                // Leave the source usable: whoever reads it next starts where this direction stopped.
                source.AdvanceTo(result.Buffer.Start);
                return RelayEnd.Terminated;
            }
            var (consumed, end) = await forward(result.Buffer);
            var position = result.Buffer.GetPosition(consumed);
            if (end is not null)
            {
                // Nothing past the consumed bytes counts as examined: a next reader gets them without waiting for more.
                source.AdvanceTo(position);
                return end.Value;
            }
            source.AdvanceTo(position, result.Buffer.End);
            if (result.IsCompleted)
            {
                return RelayEnd.SourceClosed;
            }
        }
    }

    /// <summary>Writes and flushes <paramref name="data"/>; false when the destination is gone.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<bool> TryWriteAsync(Stream destination, ReadOnlySequence<byte> data)
    {
        try
        {
            foreach (var segment in data)
            {
                await destination.WriteAsync(segment, CancellationToken.None);
            }
            await destination.FlushAsync(CancellationToken.None);
            return true;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            return false;
        }
    }
}
