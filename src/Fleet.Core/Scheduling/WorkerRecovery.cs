using Fleet.Workers;

namespace Fleet.Scheduling;

/// <summary>What the files say about a started worker that has no exit.json yet.</summary>
public enum RecoveryVerdict
{
    /// <summary>No claim (or one being written): no shim holds the pair yet, so starting one is safe.</summary>
    Unclaimed,

    /// <summary>Its shim or its agent is alive: wait for exit.json.</summary>
    Running,

    /// <summary>The shim could not write exit.json and put the outcome in its claim: that is the outcome.</summary>
    RecordedInClaim,

    /// <summary>The shim ended before it began to start the agent: certainly nothing ran.</summary>
    LostNeverStarted,

    /// <summary>The shim and the agent ended and nothing recorded how: the agent may have run, its outcome is unknown.</summary>
    LostOutcomeUnknown,
}

/// <summary>
/// Decides from a worker's claim what became of it, for an orchestrator that finds no exit.json: the claim says
/// who holds the pair, whether an agent was being started, and the outcome when exit.json could not be written.
/// "Lost" only when both processes are gone, and then which kind; the caller reads exit.json once more after
/// it looked at the processes, since a shim writes exit.json before it ends.
/// </summary>
public static class WorkerRecovery
{
    public const string NeverStarted = "lost: never started (the worker shim ended before it started the agent)";

    public const string OutcomeUnknown = "lost: ran, outcome unknown (the worker shim ended without recording an outcome; was it killed?)";

    public static RecoveryVerdict Decide(WorkerClaim? claim, bool shimAlive, bool agentAlive) => claim switch
    {
        null => RecoveryVerdict.Unclaimed,
        { Exit: not null } => RecoveryVerdict.RecordedInClaim,
        _ when shimAlive || agentAlive => RecoveryVerdict.Running,
        { AgentStarting: false, AgentPid: null } => RecoveryVerdict.LostNeverStarted,
        _ => RecoveryVerdict.LostOutcomeUnknown,
    };

    /// <summary>The journal's reason for a lost worker.</summary>
    public static string Reason(RecoveryVerdict verdict) => verdict == RecoveryVerdict.LostNeverStarted ? NeverStarted : OutcomeUnknown;
}
