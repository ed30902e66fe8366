using System.Runtime.InteropServices;

namespace Fleet.Paths;

/// <summary>
/// A path with every symbolic link resolved (realpath(3)): the one name of a folder however it was reached, so a
/// fleet launched through a symlink and killed through its real path is the same fleet.
/// </summary>
public static partial class RealPath
{
    /// <summary>The resolved absolute path; the plain full path when it cannot be resolved (it does not exist).</summary>
    public static string Of(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var resolved = Resolve(full, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
        {
            return Path.TrimEndingDirectorySeparator(full);
        }

        try
        {
            return Marshal.PtrToStringUTF8(resolved) ?? full;
        }
        finally
        {
            unsafe
            {
                NativeMemory.Free((void*)resolved); // realpath(3) allocates its answer with malloc
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial IntPtr Resolve(string path, IntPtr resolved);
}
