using System.Globalization;
using System.Runtime.InteropServices;

namespace Fleet.Processes;

/// <summary>
/// Descriptors above 2 that this process inherited without close-on-exec (a CI runner's or a shell's pipe,
/// a make jobserver). .NET opens its own with close-on-exec, but inherited ones pass on to every child, and a
/// daemon holding a pipe's write end keeps the reader at the other end waiting for EOF for as long as it lives
/// (a test harness's pipe has reached a background shim this way). Marking them close-on-exec in this
/// process before spawning keeps them out of the daemons, while this process keeps them.
/// </summary>
internal static partial class InheritedDescriptors
{
    private const int FGetFd = 1;
    private const int FSetFd = 2;
    private const int FdCloExec = 1;

    /// <summary>Marks every descriptor above 2 close-on-exec; returns how many it changed.</summary>
    public static int MarkCloseOnExec()
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        var changed = 0;
        IEnumerable<string> entries;
        try
        {
            entries = Directory.GetFileSystemEntries("/proc/self/fd");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }

        foreach (var entry in entries)
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var fd) || fd <= 2)
            {
                continue;
            }

            var flags = Fcntl(fd, FGetFd, 0);
            if (flags >= 0 && (flags & FdCloExec) == 0 && Fcntl(fd, FSetFd, flags | FdCloExec) == 0)
            {
                changed++;
            }
        }

        return changed;
    }

    // fcntl is variadic; with F_GETFD/F_SETFD the third argument is an int, which the x86-64 and arm64
    // Linux calling conventions pass as for a fixed argument.
    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int cmd, int arg);
}
