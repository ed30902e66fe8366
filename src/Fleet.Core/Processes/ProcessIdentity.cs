namespace Fleet.Processes;

/// <summary>
/// One process for the life of the machine: its pid plus its start time (field 22 of <c>/proc/&lt;pid&gt;/stat</c>).
/// A bare pid is never enough: the kernel recycles pids, and a recycled pid is some other program.
/// Serialisable, so a registry or a journal can keep it and a later orchestrator can re-adopt the process.
/// </summary>
public sealed record ProcessIdentity(int Pid, ulong StartTime)
{
    /// <summary>Reads the start time of <paramref name="pid"/> now; null when it does not exist.</summary>
    public static ProcessIdentity? TryCapture(int pid) =>
        ProcStat.TryRead(pid) is { } stat ? new ProcessIdentity(stat.Pid, stat.StartTime) : null;

    /// <summary>True when a process with this pid exists, started at the same tick, and has not ended (zombies count as ended).</summary>
    public bool IsAlive => ProcStat.TryRead(Pid) is { } stat && stat.StartTime == StartTime && !stat.HasEnded;

    /// <summary>
    /// Sends <paramref name="signal"/> to this process only, after checking it is still this process.
    /// (The check and the kill are two steps; the window is microseconds, against pid reuse that takes a full pid cycle.)
    /// </summary>
    public SignalResult Signal(UnixSignal signal) =>
        IsAlive ? ProcessGroup.ToResult(NativeMethods.SendSignal(Pid, (int)signal)) : SignalResult.NotFound;
}
