using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Fleet.Processes;

/// <summary>
/// The few libc calls the BCL does not expose: signals to a process group, a process's group id,
/// a non-reaping wait that reads a child's real wait status (the BCL folds a signal death into 128+n), our user id,
/// and the child-subreaper flag with the waitpid that reaps the orphans it brings.
/// </summary>
internal static partial class NativeMethods
{
    internal const int ESRCH = 3;
    internal const int EPERM = 1;
    internal const int ECHILD = 10;
    internal const int EINTR = 4;
    internal const int EEXIST = 17;

    private const int PPid = 1;
    private const int WNoHang = 1;
    private const int PrSetChildSubreaper = 36;
    private const int WExited = 4;
    private const int WNoWait = 0x01000000;

    // siginfo_t for SIGCHLD on Linux (x86_64 and arm64 share the layout):
    // si_signo, si_errno, si_code (3 ints), padding to 16, then si_pid, si_uid, si_status.
    private const int SiginfoSize = 128;
    private const int SiCodeOffset = 8;
    private const int SiPidOffset = 16;
    private const int SiStatusOffset = 24;
    private const int CldExited = 1;
    private const int CldKilled = 2;
    private const int CldDumped = 3;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int sig);

    [LibraryImport("libc", EntryPoint = "getpgid", SetLastError = true)]
    private static partial int GetPgid(int pid);

    [LibraryImport("libc", EntryPoint = "waitid", SetLastError = true)]
    private static partial int WaitId(int idtype, int id, Span<byte> infop, int options);

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    private static partial int WaitPid(int pid, out int status, int options);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Link(string existing, string created);

    /// <summary>link(2): a second name for a file, refused (EEXIST) when that name exists; returns 0 or the errno.</summary>
    internal static int HardLink(string existing, string created) => Link(existing, created) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>prctl(PR_SET_CHILD_SUBREAPER, 1): orphaned descendants reparent to us instead of init; returns 0 or the errno.</summary>
    internal static int BecomeChildSubreaper() => Prctl(PrSetChildSubreaper, 1, 0, 0, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>waitpid(pid, WNOHANG): reaps the child if it has ended; true when it was reaped.</summary>
    internal static bool TryReap(int pid) => WaitPid(pid, out _, WNoHang) == pid;

    /// <summary>geteuid(2): whom a local socket's peer must be (SO_PEERCRED) to be trusted.</summary>
    internal static uint EffectiveUserId() => GetEuid();

    /// <summary>kill(2); returns 0 or the errno.</summary>
    internal static int SendSignal(int pid, int signal)
    {
        return Kill(pid, signal) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>getpgid(2); the group id, or -1 when the process does not exist.</summary>
    internal static int GetProcessGroup(int pid) => GetPgid(pid);

    /// <summary>
    /// Blocks until the child <paramref name="pid"/> has ended and reads its wait status without reaping it
    /// (WNOWAIT), so the runtime still reaps it and <see cref="System.Diagnostics.Process"/> keeps working.
    /// Returns null when the runtime reaped the child first (ECHILD): then only the 128+n exit code is known.
    /// </summary>
    internal static RawWaitStatus? WaitForExitStatusNoReap(int pid)
    {
        Span<byte> info = stackalloc byte[SiginfoSize];
        while (true)
        {
            info.Clear();
            if (WaitId(PPid, pid, info, WExited | WNoWait) == 0)
            {
                break;
            }

            if (Marshal.GetLastPInvokeError() != EINTR)
            {
                return null;
            }
        }

        var code = BinaryPrimitives.ReadInt32LittleEndian(info[SiCodeOffset..]);
        var reportedPid = BinaryPrimitives.ReadInt32LittleEndian(info[SiPidOffset..]);
        var status = BinaryPrimitives.ReadInt32LittleEndian(info[SiStatusOffset..]);
        if (reportedPid != pid)
        {
            return null;
        }

        return code switch
        {
            CldExited => new RawWaitStatus(status, null),
            CldKilled or CldDumped => new RawWaitStatus(null, status),
            _ => null,
        };
    }
}

/// <summary>A child's wait status: either an exit code or the number of the signal that ended it.</summary>
internal readonly record struct RawWaitStatus(int? ExitCode, int? Signal);
