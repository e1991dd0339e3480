using System.Buffers;
using System.IO.Pipelines;

namespace Ferry.Proxy;

/// <summary>Raw byte copy between two streams, both directions, ending when either side ends.</summary>
internal static class Pump
{
    public const int BufferSize = 64 * 1024;

    /// <summary>Copies both ways until either side ends; returns the bytes copied a→b and b→a.</summary>
    public static async Task<(long AToB, long BToA)> BothWaysAsync(Stream a, Stream b, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var ab = CopyAsync(a, b, stop.Token);
        var ba = CopyAsync(b, a, stop.Token);
        await Task.WhenAny(ab, ba);
        await stop.CancelAsync();
        await Task.WhenAll(ab, ba);
        return (await ab, await ba);
    }

    /// <summary>Copies until EOF or an error; returns bytes copied. Never throws for normal ends.</summary>
    /// <remarks>
    /// Waits for data with a zero-byte read and rents the buffer only while bytes are moving, so an
    /// idle session holds no copy buffer (SslStream and MuxStream both support zero-byte reads).
    /// </remarks>
    public static async Task<long> CopyAsync(Stream from, Stream to, CancellationToken ct)
    {
        if (from is IDuplexPipe pipe)
        {
            return await CopyAsync(pipe.Input, to, ct);
        }
        long total = 0;
        try
        {
            while (true)
            {
                _ = await from.ReadAsync(Memory<byte>.Empty, ct);
                var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(BufferSize);
                try
                {
                    // Move everything that is there now, then go back to waiting without a buffer.
                    var n = await from.ReadAsync(buffer, ct);
                    if (n == 0)
                    {
                        break;
                    }
                    await to.WriteAsync(buffer.AsMemory(0, n), ct);
                    total += n;
                }
                finally
                {
                    System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                }
            }
            await to.FlushAsync(ct);
        }
        catch (Exception e) when (IsRelayEnd(e))
        {
            // The normal end of a relay: a side closed or reset, or the other direction ended first and cancelled
            // this one. The caller learns the end from the return value; the metrics count the bytes.
        }
        return total;
    }

    private static bool IsRelayEnd(Exception e) =>
        e is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException;

    /// <summary>
    /// Writes what a pipe read returned with as few writes as possible: one segment as it lies; several (frames that
    /// arrived while the last write was under way) gathered into one pooled buffer of up to <see cref="BufferSize"/>,
    /// so a TLS stream makes one record and one <c>send</c> of them, not one per segment.
    /// </summary>
    private static async ValueTask WriteAsync(System.Buffers.ReadOnlySequence<byte> buffer, Stream to, CancellationToken ct)
    {
        if (buffer.IsSingleSegment)
        {
            await to.WriteAsync(buffer.First, ct);
            return;
        }

        var gather = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Min(buffer.Length, BufferSize));
        try
        {
            while (!buffer.IsEmpty)
            {
                var n = (int)Math.Min(buffer.Length, gather.Length);
                buffer.Slice(0, n).CopyTo(gather.AsSpan());
                await to.WriteAsync(gather.AsMemory(0, n), ct);
                buffer = buffer.Slice(n);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(gather);
        }
    }

    /// <summary>
    /// The same from a stream that is already a pipe (a tunnel stream): its buffered bytes are written from where they
    /// lie, without a copy buffer, and given back to the pipe once written.
    /// </summary>
    private static async Task<long> CopyAsync(PipeReader from, Stream to, CancellationToken ct)
    {
        long total = 0;
        try
        {
            while (true)
            {
                var result = await from.ReadAsync(ct);
                var buffer = result.Buffer;
                await WriteAsync(buffer, to, ct);
                total += buffer.Length;
                from.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
            await to.FlushAsync(ct);
        }
        catch (Exception e) when (IsRelayEnd(e))
        {
            // As above: the normal end of a relay.
        }
        return total;
    }
}
