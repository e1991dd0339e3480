using System.Runtime.InteropServices;

namespace Ferry.Identity;

/// <summary>glibc's heap, where OpenSSL's allocations live: what the process can ask of it.</summary>
public static partial class NativeHeap
{
    /// <summary>Gives glibc's free pages back to the system (<c>malloc_trim(0)</c>); what is still in use stays.</summary>
    public static void Trim() => malloc_trim(0);

    [LibraryImport("libc.so.6")]
    private static partial int malloc_trim(nuint pad);
}
