namespace Fleet.State;

public enum WorkerStatus
{
    Pending,

    /// <summary>Journaled as spawned and not yet ended: starting or running.</summary>
    Started,
    Succeeded,
    Failed,
    Killed,
    Skipped,

    /// <summary>Its run ended on a usage or rate limit; fleet continues its session at <see cref="WorkerState.LimitedUntil"/>. Not done.</summary>
    Limited,
}

/// <summary>One (worker, iteration) as the journal tells it.</summary>
public sealed record WorkerState(
    string Worker,
    int Iteration,
    WorkerStatus Status,
    DateTimeOffset? StartedAt = null,
    DateTimeOffset? EndedAt = null,
    decimal? CostUsd = null,
    string? Reason = null,
    int? ExitCode = null,
    string? Signal = null)
{
    /// <summary>The attempt running or last run: 1, then one more for each continuation after a limit.</summary>
    public int Attempt { get; init; } = 1;

    /// <summary>While <see cref="WorkerStatus.Limited"/>: when its session is continued.</summary>
    public DateTimeOffset? LimitedUntil { get; init; }

    /// <summary>How many limits it met in this iteration.</summary>
    public int Limits { get; init; }

    /// <summary>How many times a person steered it in this iteration (<c>fleet say</c>, <c>fleet interrupt</c>).</summary>
    public int Steers { get; init; }

    public bool IsDone => Status is WorkerStatus.Succeeded or WorkerStatus.Failed or WorkerStatus.Killed or WorkerStatus.Skipped;
}

public sealed record VerdictRecord(int Iteration, string Verdict, string? Reason, string Source, DateTimeOffset At)
{
    public const string Lgtm = "lgtm";
    public const string Iterate = "iterate";
    public const string Escalate = "escalate";
}

/// <summary>
/// Where the latest run of a fleet stands: a fold over its journal. Nothing else is state: the orchestrator,
/// <c>fleet status</c> and a restarted orchestrator all compute it the same way.
/// </summary>
public sealed class RunState
{
    private Dictionary<(string Worker, int Iteration), WorkerState> _workers = [];

    public string? RunId { get; private set; }

    public string? FleetName { get; private set; }

    public string? FleetType { get; private set; }

    public string? SpawnMode { get; private set; }

    public string? Rehearsal { get; private set; }

    /// <summary>The run's arm of the memory experiment: <see cref="RunArms.NoMemory"/> or <see cref="RunArms.Memory"/>.</summary>
    public string Arm { get; private set; } = RunArms.Memory;

    /// <summary>True when the run carries nothing from earlier runs (no doctrine, no repository allow rules, no preconditions).</summary>
    public bool NoMemory => Arm == RunArms.NoMemory;

    public DateTimeOffset? StartedAt { get; private set; }

    /// <summary>The iteration in progress (or the last one), 0 before the first.</summary>
    public int Iteration { get; private set; }

    public List<VerdictRecord> Verdicts { get; private set; } = [];

    public bool Paused { get; private set; }

    public string? PauseReason { get; private set; }

    /// <summary>The pause came from a reviewer's escalate verdict.</summary>
    public bool Escalated { get; private set; }

    public bool CostCapReached { get; private set; }

    /// <summary>The iteration at whose end the run was paused and then resumed by a person: its verdict was acted on.</summary>
    public int? ResumedAtIteration { get; private set; }

    public JournalEntry? Ended { get; private set; }

    public decimal Spent { get; private set; }

    public DateTimeOffset? LastEventAt { get; private set; }

    public IEnumerable<WorkerState> Workers => _workers.Values;

    public int LgtmCount => Verdicts.Count(v => v.Verdict == VerdictRecord.Lgtm);

    public WorkerState Worker(string worker, int iteration) =>
        _workers.TryGetValue((worker, iteration), out var state) ? state : new WorkerState(worker, iteration, WorkerStatus.Pending);

    /// <summary>
    /// The one rule for what a worker cost in this run, which status, retro, trend and the dashboard all use: the sum
    /// of what each of its runs (iterations and continuations) added, as its exit records billed it. A resumed
    /// session's run is billed its difference from the session's previous total, never the session's whole total.
    /// </summary>
    public decimal WorkerCostUsd(string worker) => _workers.Values.Where(w => w.Worker == worker).Sum(w => w.CostUsd ?? 0m);

    public IEnumerable<WorkerState> InIteration(int iteration) => _workers.Values.Where(w => w.Iteration == iteration);

    /// <summary>A copy to fold further without changing this one: the scheduler plays a round's decisions on it.</summary>
    public RunState Clone()
    {
        var copy = (RunState)MemberwiseClone();
        copy._workers = new(_workers);
        copy.Verdicts = [.. Verdicts];
        return copy;
    }

    public static RunState Fold(IEnumerable<JournalEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var state = new RunState();
        foreach (var entry in entries)
        {
            state.Apply(entry);
        }

        return state;
    }

    public void Apply(JournalEntry e)
    {
        ArgumentNullException.ThrowIfNull(e);
        LastEventAt = e.Ts;
        switch (e.Type)
        {
            case JournalTypes.RunStarted:
                _workers.Clear();
                Verdicts.Clear();
                (RunId, FleetName, FleetType, SpawnMode, Rehearsal, StartedAt) = (e.Run, e.Fleet, e.FleetType, e.SpawnMode, e.Rehearsal, e.Ts);
                Arm = RunArms.Of(e.Arm);
                (Iteration, Paused, PauseReason, Escalated, CostCapReached, Ended, Spent, ResumedAtIteration) = (0, false, null, false, false, null, 0m, null);
                break;
            case JournalTypes.IterationStarted:
                Iteration = e.Iteration ?? Iteration;
                break;
            case JournalTypes.WorkerSpawning when Key(e) is { } key && !Worker(key.Worker, key.Iteration).IsDone:
                _workers[key] = new WorkerState(key.Worker, key.Iteration, WorkerStatus.Started, StartedAt: e.Ts);
                break;
            case JournalTypes.WorkerEnded when Key(e) is { } key && !Worker(key.Worker, key.Iteration).IsDone:
                var before = Worker(key.Worker, key.Iteration);
                _workers[key] = new WorkerState(key.Worker, key.Iteration, ParseOutcome(e.Outcome), before.StartedAt, e.Ts, Add(before.CostUsd, e.CostUsd), e.Reason, e.ExitCode, e.Signal)
                {
                    Attempt = before.Attempt,
                    Limits = before.Limits,
                    Steers = before.Steers,
                };
                Spent += e.CostUsd ?? 0m;
                break;
            case JournalTypes.WorkerLimited when Key(e) is { } key && Worker(key.Worker, key.Iteration) is { Status: WorkerStatus.Started } limited && (e.Attempt ?? 1) == limited.Attempt:
                _workers[key] = limited with { Status = WorkerStatus.Limited, LimitedUntil = e.Until, Limits = limited.Limits + 1, Reason = e.Reason, CostUsd = Add(limited.CostUsd, e.CostUsd) };
                Spent += e.CostUsd ?? 0m;
                break;
            case JournalTypes.WorkerContinued when Key(e) is { } key && Worker(key.Worker, key.Iteration) is { Status: WorkerStatus.Limited } waiting && e.Attempt == waiting.Attempt + 1:
                _workers[key] = waiting with { Status = WorkerStatus.Started, Attempt = waiting.Attempt + 1, LimitedUntil = null };
                break;
            case JournalTypes.WorkerSteered when Key(e) is { } key && _workers.TryGetValue(key, out var steered):
                _workers[key] = steered with { Steers = steered.Steers + 1 };
                break;
            case JournalTypes.WorkerSkipped when Key(e) is { } key && !Worker(key.Worker, key.Iteration).IsDone:
                _workers[key] = new WorkerState(key.Worker, key.Iteration, WorkerStatus.Skipped, EndedAt: e.Ts, Reason: e.Reason);
                break;
            case JournalTypes.Verdict when e.Iteration is { } n && Verdicts.All(v => v.Iteration != n):
                Verdicts.Add(new VerdictRecord(n, e.Outcome ?? VerdictRecord.Iterate, e.Reason, e.Source ?? "review.md", e.Ts));
                break;
            case JournalTypes.CostCapReached:
                CostCapReached = true;
                break;
            case JournalTypes.Paused:
                (Paused, PauseReason, Escalated) = (true, e.Reason, e.Outcome == "escalated");
                break;
            case JournalTypes.Resumed:
                ResumedAtIteration = Paused ? Iteration : ResumedAtIteration;
                (Paused, PauseReason, Escalated) = (false, null, false);
                break;
            case JournalTypes.RunEnded:
                Ended = e;
                break;
            default:
                break;
        }
    }

    private static decimal? Add(decimal? a, decimal? b) => a is null && b is null ? null : (a ?? 0m) + (b ?? 0m);

    private static (string Worker, int Iteration)? Key(JournalEntry e) => e.Worker is { } w && e.Iteration is { } n ? (w, n) : null;

    private static WorkerStatus ParseOutcome(string? outcome) => outcome switch
    {
        "succeeded" => WorkerStatus.Succeeded,
        "killed" => WorkerStatus.Killed,
        _ => WorkerStatus.Failed,
    };
}
