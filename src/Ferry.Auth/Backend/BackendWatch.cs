using System.Runtime.CompilerServices;

namespace Ferry.Auth.Backend;

/// <summary>
/// The watch loop both backends share: read the changes after the last revision seen; when there are none, wait for
/// the backend's in-process signal (a local write, or for PostgreSQL a notification) or the poll interval, whichever
/// comes first (another process may have written), then read again.
/// </summary>
internal static class BackendWatch
{
    /// <param name="read">The changes after a revision, in revision order (at most a page).</param>
    /// <param name="signal">A task that completes at the next change this process hears of.</param>
    public static async IAsyncEnumerable<BackendEvent> PollAsync(
        Func<long, CancellationToken, Task<List<BackendEvent>>> read,
        Func<Task> signal,
        long after,
        TimeSpan pollInterval,
        TimeProvider time,
        [EnumeratorCancellation] CancellationToken token)
    {
        var last = after;
        while (!token.IsCancellationRequested)
        {
            var changed = signal();
            var events = await read(last, token).ConfigureAwait(false);

            foreach (var e in events)
            {
                last = e.Revision;
                yield return e;
            }

            if (events.Count == 0)
            {
                try
                {
                    await changed.WaitAsync(pollInterval, time, token).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // Poll: another process may have written.
                }
                catch (OperationCanceledException)
                {
                    yield break;
                }
            }
        }
    }
}
