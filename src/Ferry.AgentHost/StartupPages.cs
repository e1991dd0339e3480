using System.Globalization;
using System.Runtime.InteropServices;
using Ferry.Agent;
using Ferry.Identity;

namespace Ferry.AgentHost;

/// <summary>
/// Gives back the pages that only start-up needed (issue 27: an idle agent in ≤ 20 MB). Start-up (the runtime,
/// configuration, joining, the first TLS handshakes, OpenSSL's initialisation) runs code in nearly every 64 KiB window
/// of the agent's image and of libcrypto, and the kernel maps 64 KiB around every fault on a file, so without this
/// the whole image stays mapped although an idle agent runs a small part of it
/// (perf/results/2026-12-04-agent-footprint-2.md and -3.md).
/// Once the first tunnel is up, <see cref="Release"/> unmaps the resident pages of every clean, read-only,
/// file-backed private mapping (code and read-only data of the binary and of the shared libraries) with
/// <c>madvise(MADV_DONTNEED)</c>. For such a mapping that only drops page-table entries: the pages stay in the page
/// cache, where the kernel can reclaim them, and what runs again faults its pages back from it with the same
/// content. A mapping with any copy-on-write page (relocated data, <c>Anonymous</c> &gt; 0 in smaps) is left alone,
/// since dropping it would undo the copy.
/// </summary>
internal static partial class StartupPages
{
    private const int MadvDontNeed = 4;

    /// <summary>After the first tunnel is up, and the work that follows it (heartbeat, database registration), settles.</summary>
    internal static readonly TimeSpan Settle = TimeSpan.FromSeconds(2);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int madvise(nint address, nuint length, int advice);

    /// <summary>Waits for the first of <paramref name="tunnels"/> to be up (at most a minute), then <see cref="Release"/>s once.</summary>
    public static async Task ReleaseAfterFirstTunnelAsync(IReadOnlyList<AgentTunnelClient> tunnels, Action<string> log, CancellationToken ct)
    {
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnUp(AgentTunnelClient _) => up.TrySetResult();
        foreach (var tunnel in tunnels)
        {
            tunnel.Up += OnUp;
            if (tunnel.Connected)
            {
                up.TrySetResult();
            }
        }
        try
        {
            await Task.WhenAny(up.Task, Task.Delay(TimeSpan.FromMinutes(1), ct)).ConfigureAwait(false);
            await Task.Delay(Settle, ct).ConfigureAwait(false);
            var before = VmRssKiB();
            var (mappings, kib) = Release(File.ReadAllText("/proc/self/smaps"));
            var advised = VmRssKiB();
            NativeHeap.Trim();
            log($"ferry-agent: start-up pages released: {kib} KiB resident in {mappings} read-only file mappings; VmRSS {before} → {advised} KiB, {VmRssKiB()} KiB after malloc_trim");
        }
        catch (OperationCanceledException)
        {
            // Stopping before start-up settled: nothing to give back.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DllNotFoundException or EntryPointNotFoundException)
        {
            log($"ferry-agent: start-up pages not released: {e.Message}");
        }
        finally
        {
            foreach (var tunnel in tunnels)
            {
                tunnel.Up -= OnUp;
            }
        }
    }

    /// <summary>Advises away every mapping <see cref="Releasable"/> finds in <paramref name="smaps"/>; returns how many and their resident KiB before.</summary>
    public static (int Mappings, long ResidentKiB) Release(string smaps)
    {
        var mappings = 0;
        var kib = 0L;
        foreach (var m in Releasable(smaps))
        {
            if (madvise((nint)m.Start, (nuint)(m.End - m.Start), MadvDontNeed) == 0)
            {
                mappings++;
                kib += m.RssKiB;
            }
        }
        return (mappings, kib);
    }

    internal readonly record struct Mapping(ulong Start, ulong End, string Path, long RssKiB);

    /// <summary>
    /// The mappings of <c>/proc/PID/smaps</c> text that are private, not writable, backed by a file (a path, not
    /// <c>[vdso]</c> and the like), resident, and without a copied-on-write page (<c>Anonymous: 0 kB</c>), not locked.
    /// </summary>
    internal static List<Mapping> Releasable(string smaps)
    {
        var result = new List<Mapping>();
        ulong start = 0, end = 0;
        string? path = null;
        bool candidate = false;
        long rss = 0, anonymous = -1;
        var locked = false;

        void Close()
        {
            if (candidate && rss > 0 && anonymous == 0 && !locked)
            {
                result.Add(new Mapping(start, end, path!, rss));
            }
            candidate = false;
        }

        foreach (var raw in smaps.Split('\n'))
        {
            var line = raw.TrimEnd();
            if (line.Length == 0)
            {
                continue;
            }
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var dash = line.IndexOf('-', StringComparison.Ordinal);
            // A header: "start-end perms offset dev inode [path]"; a field: "Name:   value kB".
            if (dash > 0 && (colon < 0 || dash < colon) && ulong.TryParse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var s))
            {
                Close();
                var parts = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length < 5 || !ulong.TryParse(parts[0].AsSpan(dash + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var e))
                {
                    continue;
                }
                start = s;
                end = e;
                path = parts.Length == 6 ? parts[5].Trim() : null;
                var perms = parts[1];
                candidate = perms.Length == 4 && perms[0] == 'r' && perms[1] == '-' && perms[3] == 'p' && path is not null && path.StartsWith('/');
                rss = 0;
                anonymous = -1;
                locked = false;
                continue;
            }
            if (colon < 0)
            {
                continue;
            }
            var name = line.AsSpan(0, colon);
            var value = line.AsSpan(colon + 1).Trim();
            if (name.SequenceEqual("Rss"))
            {
                rss = Kib(value);
            }
            else if (name.SequenceEqual("Anonymous"))
            {
                anonymous = Kib(value);
            }
            else if (name.SequenceEqual("VmFlags"))
            {
                locked = value.ToString().Split(' ').Contains("lo");
            }
        }
        Close();
        return result;
    }

    private static long VmRssKiB()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return Kib(line.AsSpan(6).Trim());
            }
        }
        return -1;
    }

    private static long Kib(ReadOnlySpan<char> value)
    {
        var space = value.IndexOf(' ');
        return long.TryParse(space < 0 ? value : value[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1;
    }
}
