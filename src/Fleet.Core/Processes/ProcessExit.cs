namespace Fleet.Processes;

/// <summary>How sure we are that an exit is an exit code rather than a signal death.</summary>
public enum ExitStatusSource
{
    /// <summary>Read from the kernel's wait status (waitid with WNOWAIT): exact.</summary>
    WaitStatus,

    /// <summary>
    /// The runtime reaped the child before our waitid could read it, so only its 128+n exit code was left. It is
    /// taken as signal n when we sent n ourselves, or when 128+n is one of the codes shells and runtimes report
    /// for a signal death (129 HUP, 130 INT, 131 QUIT, 134 ABRT, 137 KILL, 139 SEGV, 141 PIPE, 143 TERM).
    /// An agent that calls exit(137) is then reported as killed by SIGKILL; one wrapped in <c>sh -c</c> that
    /// really was killed reports the same 137 through the shell anyway.
    /// </summary>
    InferredFromExitCode,

    /// <summary>The runtime's exit code, taken as an exit code (no wait status, and not a 128+n we map to a signal).</summary>
    ExitCodeOnly,
}

/// <summary>How an agent ended: an exit code, or the signal that killed it.</summary>
/// <param name="ExitCode">The exit code, or null when a signal ended the process.</param>
/// <param name="Signal">The terminating signal number, or null when the process exited.</param>
/// <param name="RuntimeExitCode">What <see cref="System.Diagnostics.Process.ExitCode"/> said (128+n for a signal death).</param>
/// <param name="Source">Where the distinction came from.</param>
/// <param name="ExitedAt">When we saw the exit, from the injected clock.</param>
public sealed record ProcessExit(int? ExitCode, int? Signal, int RuntimeExitCode, ExitStatusSource Source, DateTimeOffset ExitedAt)
{
    private static readonly int[] ConventionalSignalDeaths =
    [
        (int)UnixSignal.SIGHUP, (int)UnixSignal.SIGINT, (int)UnixSignal.SIGQUIT, (int)UnixSignal.SIGABRT,
        (int)UnixSignal.SIGKILL, (int)UnixSignal.SIGSEGV, (int)UnixSignal.SIGPIPE, (int)UnixSignal.SIGTERM,
    ];

    /// <summary>"SIGKILL" and so on, or null for a normal exit.</summary>
    public string? SignalName => Signal is { } s ? UnixSignals.Name(s) : null;

    /// <summary>Combines the runtime's exit code with the wait status, when we got one (see <see cref="ExitStatusSource"/>).</summary>
    internal static ProcessExit From(int runtimeExitCode, RawWaitStatus? status, IReadOnlySet<int> sentSignals, DateTimeOffset exitedAt)
    {
        if (status is { } s)
        {
            return new ProcessExit(s.ExitCode, s.Signal, runtimeExitCode, ExitStatusSource.WaitStatus, exitedAt);
        }

        var n = runtimeExitCode - 128;
        return n > 0 && (sentSignals.Contains(n) || Array.IndexOf(ConventionalSignalDeaths, n) >= 0)
            ? new ProcessExit(null, n, runtimeExitCode, ExitStatusSource.InferredFromExitCode, exitedAt)
            : new ProcessExit(runtimeExitCode, null, runtimeExitCode, ExitStatusSource.ExitCodeOnly, exitedAt);
    }
}

/// <summary>The whole run of one agent: its exit, and whether all its output was read.</summary>
/// <param name="Exit">How the process ended.</param>
/// <param name="StartedAt">Just before the process was started.</param>
/// <param name="OutputDrained">False when a pipe was still open <see cref="AgentProcessOptions.DrainTimeout"/> after the exit (a grandchild holds it) and reading was abandoned.</param>
/// <param name="OutputError">The first exception a sink threw, if any. Reading went on (output discarded) so the agent never blocked.</param>
public sealed record AgentProcessResult(ProcessExit Exit, DateTimeOffset StartedAt, bool OutputDrained, Exception? OutputError)
{
    /// <summary>When the agent ended (the exit, not the drain).</summary>
    public DateTimeOffset EndedAt => Exit.ExitedAt;
}

/// <summary>The agent could not be started. The message says what to check; no Win32Exception leaks out.</summary>
public sealed class AgentStartException : Exception
{
    public AgentStartException()
    {
    }

    public AgentStartException(string message)
        : base(message)
    {
    }

    public AgentStartException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
