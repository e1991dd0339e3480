using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Ferry.Auth.Backend;

/// <summary>
/// Points Microsoft.Data.Sqlite at the plain <c>sqlite3</c> library. In the Native AOT <c>ferryd</c> the calls are
/// bound at link time to the system's static <c>libsqlite3.a</c> (DirectPInvoke + NativeLibrary in
/// Ferry.Daemon.csproj), so the binary is one file with no <c>libe_sqlite3.so</c> beside it. Under the JIT (tests,
/// <c>dotnet run</c>) the library is loaded from the system: <c>libsqlite3.so.0</c> when the unversioned development
/// link is absent.
/// </summary>
internal static class SqliteProvider
{
    private static int _initialized;

    /// <summary>Sets the SQLite provider once per process; call before the first <c>SqliteConnection</c>.</summary>
    public static void EnsureInitialized()
    {
        if (Interlocked.Exchange(ref _initialized, 1) != 0)
        {
            return;
        }

        if (RuntimeFeature.IsDynamicCodeSupported)
        {
            NativeLibrary.SetDllImportResolver(typeof(SQLitePCL.SQLite3Provider_sqlite3).Assembly, Resolve);
        }

        SQLitePCL.raw.SetProvider(new SQLitePCL.SQLite3Provider_sqlite3());
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != "sqlite3")
        {
            return IntPtr.Zero;
        }

        foreach (var candidate in (ReadOnlySpan<string>)["libsqlite3.so", "libsqlite3.so.0"])
        {
            if (NativeLibrary.TryLoad(candidate, assembly, searchPath, out var handle))
            {
                return handle;
            }
        }

        return IntPtr.Zero;
    }
}
