using System.Buffers;
using System.IO.Pipelines;
using Ferry.Agent.Postgres;

namespace Ferry.Agent;

/// <summary>The reads and writes of a relay direction: a closed or cancelled side ends the direction instead of throwing.</summary>
internal static class RelayIo
{
    /// <summary>The next read, or why the direction ends: <see cref="RelayEnd.Terminated"/> when cancelled, <see cref="RelayEnd.SourceClosed"/> when the read failed.</summary>
    public static async ValueTask<(ReadResult Result, RelayEnd? End)> ReadAsync(PipeReader source, CancellationToken ct)
    {
        try
        {
            var result = await source.ReadAsync(ct);
            return (result, result.IsCanceled ? RelayEnd.Terminated : null);
        }
        catch (OperationCanceledException)
        {
            return (default, RelayEnd.Terminated);
        }
        catch (IOException)
        {
            return (default, RelayEnd.SourceClosed);
        }
    }

    /// <summary>Writes and flushes <paramref name="data"/>; false when the destination is gone.</summary>
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
