namespace Fleet.Processes;

/// <summary>The durations of the stop ladder: SIGINT, wait, SIGTERM, wait, SIGKILL, wait.</summary>
/// <param name="InterruptGrace">How long the group gets after SIGINT (agent CLIs flush their transcripts on Ctrl+C).</param>
/// <param name="TerminateGrace">How long the group gets after SIGTERM.</param>
/// <param name="KillGrace">How long to wait for the group to vanish after SIGKILL before reporting it still there.</param>
public sealed record StopLadder(TimeSpan InterruptGrace, TimeSpan TerminateGrace, TimeSpan KillGrace)
{
    /// <summary>10 s after SIGINT, 5 s after SIGTERM, 5 s after SIGKILL.</summary>
    public static StopLadder Default { get; } = new(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
}

/// <summary>How a stop ladder ended.</summary>
public enum StopOutcome
{
    /// <summary>The group was already empty before the first signal.</summary>
    AlreadyGone,

    /// <summary>The group emptied after SIGINT.</summary>
    StoppedByInterrupt,

    /// <summary>The group emptied after SIGTERM.</summary>
    StoppedByTerminate,

    /// <summary>The group emptied after SIGKILL.</summary>
    StoppedByKill,

    /// <summary>Members were left after SIGKILL and its grace (e.g. a process in uninterruptible sleep), or we may not signal them.</summary>
    StillPresent,
}

public static class StopOutcomeText
{
    /// <summary>The outcome in the words a person reads (kill's output, the dashboard): never the enum's name.</summary>
    public static string Describe(this StopOutcome outcome) => outcome switch
    {
        StopOutcome.AlreadyGone => "already gone",
        StopOutcome.StoppedByInterrupt => "stopped (SIGINT)",
        StopOutcome.StoppedByTerminate => "stopped (SIGTERM)",
        StopOutcome.StoppedByKill => "stopped (SIGKILL)",
        _ => "still running after SIGKILL (uninterruptible, or not ours to signal)",
    };
}

/// <summary>
/// Signals to a whole process group: <c>kill(-pgid, sig)</c>. Every agent leads its own group (<c>setsid</c>), and
/// anything it forks, even double-forked daemons that <c>Process.Kill(entireProcessTree)</c> cannot see, stays in it.
/// POSIX does not reuse a pid while a group with that id exists, so a non-empty group cannot be a stranger's.
/// </summary>
public static class ProcessGroup
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>Sends <paramref name="signal"/> to every process in group <paramref name="pgid"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">pgid is 0 or 1: kill(0) and kill(-1) would hit our own group or every process we may signal.</exception>
    public static SignalResult Signal(int pgid, UnixSignal signal)
    {
        ThrowIfUnsafe(pgid);
        return ToResult(NativeMethods.SendSignal(-pgid, (int)signal));
    }

    /// <summary>True while the group has members (zombies not yet reaped count, as the kernel counts them).</summary>
    public static bool Exists(int pgid)
    {
        ThrowIfUnsafe(pgid);
        return NativeMethods.SendSignal(-pgid, 0) != NativeMethods.ESRCH;
    }

    /// <summary>
    /// The stop ladder for <c>fleet kill</c>: SIGINT, then SIGTERM, then SIGKILL, each followed by its grace while
    /// the group has members. Returns as soon as the group is empty. Waits use <paramref name="timeProvider"/>.
    /// </summary>
    public static async Task<StopOutcome> StopAsync(int pgid, StopLadder ladder, TimeProvider? timeProvider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ladder);
        ThrowIfUnsafe(pgid);
        var time = timeProvider ?? TimeProvider.System;
        (UnixSignal Signal, TimeSpan Grace, StopOutcome Outcome)[] steps =
        [
            (UnixSignal.SIGINT, ladder.InterruptGrace, StopOutcome.StoppedByInterrupt),
            (UnixSignal.SIGTERM, ladder.TerminateGrace, StopOutcome.StoppedByTerminate),
            (UnixSignal.SIGKILL, ladder.KillGrace, StopOutcome.StoppedByKill),
        ];

        var first = true;
        foreach (var (signal, grace, outcome) in steps)
        {
            switch (Signal(pgid, signal))
            {
                case SignalResult.NotFound:
                    return first ? StopOutcome.AlreadyGone : outcome;
                case SignalResult.NotPermitted:
                    return StopOutcome.StillPresent;
            }

            first = false;
            if (await WaitUntilGoneAsync(pgid, grace, time, cancellationToken))
            {
                return outcome;
            }
        }

        return StopOutcome.StillPresent;
    }

    /// <summary>Polls until the group is empty or <paramref name="timeout"/> passes; true when it emptied.</summary>
    public static async Task<bool> WaitUntilGoneAsync(int pgid, TimeSpan timeout, TimeProvider? timeProvider, CancellationToken cancellationToken)
    {
        // Polling is fine here: this is the stop path a person asked for, not the orchestrator's hot path,
        // and there is no event for "the last member of a group I am not the parent of has died".
        var time = timeProvider ?? TimeProvider.System;
        var deadline = time.GetTimestamp();
        while (Exists(pgid))
        {
            if (time.GetElapsedTime(deadline) >= timeout)
            {
                return false;
            }

            await Task.Delay(PollInterval, time, cancellationToken);
        }

        return true;
    }

    internal static SignalResult ToResult(int errno) => errno switch
    {
        0 => SignalResult.Delivered,
        NativeMethods.ESRCH => SignalResult.NotFound,
        NativeMethods.EPERM => SignalResult.NotPermitted,
        _ => throw new InvalidOperationException($"kill(2) failed with errno {errno}."),
    };

    private static void ThrowIfUnsafe(int pgid)
    {
        if (pgid <= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(pgid), pgid, "A process group id must be greater than 1; kill(0) and kill(-1) would reach far more than one agent.");
        }
    }
}
