using System.Runtime.InteropServices;

namespace Ferry.AgentHost;

/// <summary>
/// glibc's malloc tuned for a small, long-running agent (issue 27's footprint budget): the native allocations are
/// OpenSSL's and the runtime's, a few per connection. glibc gives every thread that mallocs its own arena (up to 8 per
/// core, each a 64 MiB reservation with its own touched pages); two arenas serve the agent's handful of threads (each
/// thread still has its lock-free tcache). After start-up, <see cref="Trim"/> hands the heap's free pages back.
/// Both are best effort: on a C library without them (musl) nothing changes.
/// </summary>
internal static partial class GlibcMalloc
{
    private const int MArenaMax = -8;

    /// <summary>At most <paramref name="arenas"/> malloc arenas (glibc's <c>M_ARENA_MAX</c>), unless MALLOC_ARENA_MAX is set.</summary>
    public static void LimitArenas(int arenas)
    {
        if (Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is not null)
        {
            return;
        }

        try
        {
            _ = MallOpt(MArenaMax, arenas);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc: its own allocator, nothing to tune.
        }
    }

    /// <summary>Returns free memory at the top and inside the malloc heaps to the kernel (<c>malloc_trim(0)</c>).</summary>
    public static void Trim()
    {
        try
        {
            _ = MallocTrim(0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc.
        }
    }

    [LibraryImport("libc.so.6", EntryPoint = "mallopt")]
    private static partial int MallOpt(int param, int value);

    [LibraryImport("libc.so.6", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
