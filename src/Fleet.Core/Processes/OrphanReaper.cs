using System.Runtime.InteropServices;

namespace Fleet.Processes;

/// <summary>
/// Makes this process a child subreaper (<c>prctl(PR_SET_CHILD_SUBREAPER)</c>): a descendant whose parent dies, however
/// it detached (setsid, double fork, daemon()), is reparented to us instead of init, so it stays under us in the process
/// tree where <c>fleet kill</c> walks. Such orphans are not children the runtime started, so it never reaps them; this
/// does, on SIGCHLD and on <see cref="ReapOrphans"/>. Children started through <see cref="StartChild"/> are left to the
/// runtime's <see cref="System.Diagnostics.Process"/>, which must reap them itself to know their exit status.
/// </summary>
public static class OrphanReaper
{
    private static readonly Lock Gate = new();
    private static readonly HashSet<int> RuntimeChildren = [];
    private static PosixSignalRegistration? _sigchld;

    /// <summary>True once <see cref="TryEnable"/> has made this process a subreaper.</summary>
    public static bool Enabled { get; private set; }

    /// <summary>Becomes a child subreaper and starts reaping orphans on SIGCHLD; false where the kernel refuses (not Linux).</summary>
    public static bool TryEnable()
    {
        lock (Gate)
        {
            if (Enabled)
            {
                return true;
            }

            if (!OperatingSystem.IsLinux())
            {
                return false;
            }

            try
            {
                if (NativeMethods.BecomeChildSubreaper() != 0)
                {
                    return false;
                }
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                return false;
            }

            Enabled = true;
            _sigchld = PosixSignalRegistration.Create(PosixSignal.SIGCHLD, _ => ReapOrphans());
            return true;
        }
    }

    /// <summary>True while a SIGCHLD handler reaps orphans as they end.</summary>
    public static bool ReapsOnSigchld => _sigchld is not null;

    /// <summary>
    /// Runs <paramref name="start"/> (which forks a child the runtime will reap and returns its pid) and records the pid
    /// before any reaping pass can run, so an orphan pass never steals the exit status of a child the runtime waits for.
    /// </summary>
    public static int StartChild(Func<int> start)
    {
        ArgumentNullException.ThrowIfNull(start);
        lock (Gate)
        {
            var pid = start();
            RuntimeChildren.Add(pid);
            return pid;
        }
    }

    /// <summary>Forgets a runtime child once the runtime has reaped it (its pid may then be reused by an orphan).</summary>
    public static void Forget(int pid)
    {
        lock (Gate)
        {
            RuntimeChildren.Remove(pid);
        }
    }

    /// <summary>Reaps every ended child of ours that the runtime did not start (orphans reparented to us); returns how many.</summary>
    public static int ReapOrphans()
    {
        if (!Enabled)
        {
            return 0;
        }

        var self = Environment.ProcessId;
        var reaped = 0;
        lock (Gate)
        {
            foreach (var process in ProcessTable.Capture().Processes)
            {
                if (process.ParentPid == self && process.HasEnded && !RuntimeChildren.Contains(process.Pid) && NativeMethods.TryReap(process.Pid))
                {
                    reaped++;
                }
            }
        }

        return reaped;
    }
}
