namespace Fleet.Processes;

/// <summary>How sure we are that an exit is an exit code rather than a signal death.</summary>
public enum ExitStatusSource
{
    /// <summary>Read from the kernel's wait status (waitid with WNOWAIT): exact.</summary>
    WaitStatus,

    /// <summary>The runtime reported 128+n and we had sent signal n to this agent: taken as that signal.</summary>
    SentSignal,

    /// <summary>
    /// Only the runtime's exit code was available (it reaped the child before our waitid read it). A value of
    /// 128+n may then be a death by signal n or an exit(128+n); it is reported as an exit code.
    /// </summary>
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
    /// <summary>"SIGKILL" and so on, or null for a normal exit.</summary>
    public string? SignalName => Signal is { } s ? UnixSignals.Name(s) : null;
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
