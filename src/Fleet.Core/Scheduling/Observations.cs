using Fleet.Reviews;
using Fleet.Workers;

namespace Fleet.Scheduling;

/// <summary>What the orchestrator read before a round of decisions: the files and processes the journal does not hold.</summary>
public sealed record Observations
{
    public DateTimeOffset Now { get; init; }

    /// <summary>Each started worker of the current iteration, by id; a started worker missing here is left as it is.</summary>
    public IReadOnlyDictionary<string, WorkerObservation> Workers { get; init; } = new Dictionary<string, WorkerObservation>();

    /// <summary>A person asked (<c>fleet resume</c>) to continue limited workers now instead of at their reset.</summary>
    public bool ContinueRequested { get; init; }

    /// <summary><c>.paused</c> is present: stop at the next iteration boundary.</summary>
    public bool PauseRequested { get; init; }

    /// <summary>The review the scheduler asked for (<see cref="ReadReview"/>), once read.</summary>
    public ReviewRead? Review { get; init; }
}

/// <summary>An iteration's review.md as read.</summary>
public sealed record ReviewRead(int Iteration, ReviewVerdict Verdict);

/// <summary>What one started worker's files said this round.</summary>
public sealed record WorkerObservation
{
    /// <summary>Its exit.json.</summary>
    public WorkerExitRecord? Exit { get; init; }

    /// <summary>Its current attempt's limited record, read when there is no exit.json.</summary>
    public WorkerExitRecord? Limited { get; init; }

    /// <summary>This orchestrator started its shim, and the shim was not lost before it claimed.</summary>
    public bool StartedHere { get; init; }

    /// <summary>Its claim and processes, when they were looked at (not on every round for workers started here).</summary>
    public ClaimObservation? Claim { get; init; }
}

/// <summary>
/// A worker's claim and whether its processes live, then its exit files read once more: a shim writes exit.json
/// before it ends, so a record found after the processes were seen gone is its outcome, not a loss.
/// </summary>
public sealed record ClaimObservation(WorkerClaim? Claim, bool ShimAlive, bool AgentAlive, WorkerExitRecord? ExitAfter, bool LimitedAfter);
