namespace Fleet.Processes;

/// <summary>Linux signal numbers (the same on x86_64 and arm64). The names are the ones exit records carry.</summary>
#pragma warning disable CA1707, CA1008 // The POSIX names are the point; there is no signal 0 to name.
public enum UnixSignal
{
    SIGHUP = 1,
    SIGINT = 2,
    SIGQUIT = 3,
    SIGILL = 4,
    SIGTRAP = 5,
    SIGABRT = 6,
    SIGBUS = 7,
    SIGFPE = 8,
    SIGKILL = 9,
    SIGUSR1 = 10,
    SIGSEGV = 11,
    SIGUSR2 = 12,
    SIGPIPE = 13,
    SIGALRM = 14,
    SIGTERM = 15,
    SIGSTKFLT = 16,
    SIGCHLD = 17,
    SIGCONT = 18,
    SIGSTOP = 19,
    SIGTSTP = 20,
    SIGTTIN = 21,
    SIGTTOU = 22,
    SIGURG = 23,
    SIGXCPU = 24,
    SIGXFSZ = 25,
    SIGVTALRM = 26,
    SIGPROF = 27,
    SIGWINCH = 28,
    SIGIO = 29,
    SIGPWR = 30,
    SIGSYS = 31,
}
#pragma warning restore CA1707, CA1008

/// <summary>Names for signal numbers, including real-time signals that have no enum member.</summary>
public static class UnixSignals
{
    /// <summary>"SIGTERM" for 15, "SIGRTMIN+2"-style names for real-time signals, "SIG42" otherwise.</summary>
    public static string Name(int signal) => signal switch
    {
        >= 1 and <= 31 => ((UnixSignal)signal).ToString(),
        >= 34 and <= 64 => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"SIGRTMIN+{signal - 34}"),
        _ => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"SIG{signal}"),
    };
}

/// <summary>What happened to a kill(2).</summary>
public enum SignalResult
{
    /// <summary>The signal was delivered to at least one process.</summary>
    Delivered,

    /// <summary>No such process or group (ESRCH): it is gone.</summary>
    NotFound,

    /// <summary>The process or group exists but belongs to someone we may not signal (EPERM).</summary>
    NotPermitted,
}
