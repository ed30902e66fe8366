using Fleet.Gates.Inbox;
using Fleet.Spec;
using Fleet.State;
using Fleet.Validation;
using Fleet.Workers;

namespace Fleet.Orchestration;

/// <summary>One worker's line in <c>fleet status</c>.</summary>
public sealed record WorkerStatusLine(string Worker, string State, double? DurationSeconds, decimal? CostUsd, string? Reason)
{
    /// <summary>A limited worker: when fleet continues its session.</summary>
    public DateTimeOffset? LimitedUntil { get; init; }

    /// <summary>How many times a person steered it in this iteration (<c>fleet say</c>, <c>fleet interrupt</c>).</summary>
    public int Steers { get; init; }

    /// <summary>What the worker cost over the whole run so far (<see cref="RunState.WorkerCostUsd"/>, the rule every report uses).</summary>
    public decimal RunCostUsd { get; init; }

    /// <summary>A slurm worker's job: id, node and queue state (<c>queued on slurm: Priority (job 7)</c>); null for a local worker.</summary>
    public string? Slurm { get; init; }
}

/// <summary>Where a fleet stands, from its journal and files alone: it works when the orchestrator is dead.</summary>
/// <param name="State"><c>running</c>, <c>paused</c>, <c>escalated</c>, <c>done</c>, <c>failed</c>, <c>killed</c>, <c>orchestrator not running</c>, <c>journal lost</c> or <c>not launched</c>.</param>
public sealed record FleetStatus(
    string Root,
    string Name,
    string? Type,
    string? RunId,
    string State,
    int Iteration,
    int? MaxIterations,
    IReadOnlyList<VerdictRecord> Verdicts,
    IReadOnlyList<WorkerStatusLine> Workers,
    decimal Spent,
    decimal? CostCapUsd,
    string? Why,
    int? OrchestratorPid,
    string? SpawnMode)
{
    /// <summary>The gates a person must answer now (asked, not answered, the worker still waiting), oldest first.</summary>
    public IReadOnlyList<InboxGate> NeedsYou { get; init; } = [];

    /// <summary>When the files were read: waiting times are measured to it.</summary>
    public DateTimeOffset ReadAt { get; init; }

    /// <summary>What the person should know about the files themselves (e.g. a journal line that was skipped).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <param name="root">The fleet root.</param>
    /// <param name="time">The clock.</param>
    /// <param name="liveness">How a shim's liveness is read: /proc for local shims, the job state for slurm ones (<see cref="ShimLiveness.FilesOnly"/> when null).</param>
    public static FleetStatus Read(string root, TimeProvider time, ShimLiveness? liveness = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        liveness ??= ShimLiveness.FilesOnly;
        var layout = new FleetLayout(root);
        var journal = Journal.ReadAll(layout.JournalFile);
        var state = RunState.Fold(journal.Entries);
        var warnings = journal.Skipped.Select(l => $"{layout.Relative(layout.JournalFile)}:{l.Line}: skipped a line that is not a journal entry (a write cut short by a crash?): {Clip(l.Text)}").ToList();
        ResolvedFleet? fleet = null;
        if (File.Exists(layout.LaunchFile))
        {
            try
            {
                fleet = LaunchedFleet.Load(layout);
            }
            catch (InvalidDataException)
            {
            }
        }

        var orchestrator = OrchestratorInfo.Running(layout);
        var name = state.FleetName ?? fleet?.Name ?? Path.GetFileName(layout.Root);
        var journalProblem = FleetRuns.JournalProblem(layout);
        if (state.RunId is null && journalProblem is null)
        {
            return new FleetStatus(layout.Root, name, null, null, "not launched", 0, null, [], [], 0m, null, null, null, null) { Warnings = warnings };
        }

        var (label, why) = state switch
        {
            _ when journalProblem is not null => (JournalLost, journalProblem),
            { Ended: { } e } => (e.Outcome switch { "success" => "done", "killed" => "killed", _ => "failed" }, e.Reason),
            { Paused: true, Escalated: true } => ("escalated", state.PauseReason),
            { Paused: true } => ("paused", state.PauseReason),
            _ when orchestrator is not null && File.Exists(layout.PausedFile) => ("pausing", $"a person asked for a pause: {PauseEffect.Describe(state.FleetType, Math.Max(1, state.Iteration))}"),
            _ when orchestrator is not null => ("running", null),
            _ => ("orchestrator not running", "the run has not ended and no orchestrator runs it: fleet resume ROOT continues it"),
        };

        var iteration = Math.Max(state.Iteration, 1);
        var ids = fleet?.Workers.Select(w => w.Id) ?? state.Workers.Select(w => w.Worker).Distinct();
        var now = time.GetUtcNow();
        var workers = ids.Select(id => Line(layout, state.Worker(id, iteration), state.Ended, orchestrator is not null, now, liveness) with { RunCostUsd = state.WorkerCostUsd(id) }).ToList();
        return new FleetStatus(layout.Root, name, state.FleetType, state.RunId, label, state.Iteration, fleet?.Type == FleetType.Iterative ? fleet.StopRules.MaxIterations : null,
            state.Verdicts, workers, state.Spent, fleet?.StopRules.CostCapUsd, why, orchestrator?.Pid, state.SpawnMode)
        {
            NeedsYou = GateInbox.Open(layout),
            ReadAt = now,
            Warnings = warnings,
        };
    }

    /// <summary>The state of a fleet whose journal was deleted or replaced: nothing it says about the run can be trusted.</summary>
    public const string JournalLost = "journal lost";

    private static string Clip(string text) => text.Length <= 60 ? text : text[..60] + "…";

    private static WorkerStatusLine Line(FleetLayout layout, WorkerState worker, JournalEntry? runEnded, bool orchestratorRuns, DateTimeOffset now, ShimLiveness liveness) =>
        LineOf(layout, worker, runEnded, orchestratorRuns, now, liveness) with { Steers = worker.Steers };

    /// <summary>
    /// A worker's line as its files tell it now. The journal lags the files: a worker whose processes are gone is shown
    /// by its exit record when it wrote one, as killed when the run was killed, and as lost when nothing will record it.
    /// </summary>
    private static WorkerStatusLine LineOf(FleetLayout layout, WorkerState worker, JournalEntry? runEnded, bool orchestratorRuns, DateTimeOffset now, ShimLiveness liveness)
    {
        var dir = layout.IterationDir(worker.Iteration);
        switch (worker.Status)
        {
            case WorkerStatus.Started:
                var claim = WorkerClaim.TryRead(dir, worker.Worker);
                if (claim is not null && liveness.IsAlive(dir, worker.Worker, claim))
                {
                    var running = claim.AgentStartedAt is { } since ? (now - since).TotalSeconds : (double?)null;
                    return new WorkerStatusLine(worker.Worker, "running", running, null, null);
                }

                if ((ExitRecordOf(dir, worker.Worker) ?? claim?.Exit) is { } record)
                {
                    return new WorkerStatusLine(worker.Worker, OutcomeWord(record.Outcome), (record.EndedAt - record.StartedAt).TotalSeconds, record.CostUsd, record.Error ?? record.Reason);
                }

                var started = claim?.AgentStartedAt ?? worker.StartedAt;
                if (runEnded is { } ended)
                {
                    var until = started is { } s0 ? (ended.Ts - s0).TotalSeconds : (double?)null;
                    return ended.Outcome == "killed"
                        ? new WorkerStatusLine(worker.Worker, "killed", until, null, ended.Reason)
                        : new WorkerStatusLine(worker.Worker, "lost", until, null, "its processes are gone and it left no exit record");
                }

                return claim is null
                    ? new WorkerStatusLine(worker.Worker, "starting", null, null, null)
                    : orchestratorRuns
                        ? new WorkerStatusLine(worker.Worker, "ending", null, null, "its agent ended; the orchestrator records it")
                        : new WorkerStatusLine(worker.Worker, "lost", null, null, "its processes are gone and no orchestrator records it: fleet resume ROOT does");
            case WorkerStatus.Pending:
                return runEnded is { } over
                    ? new WorkerStatusLine(worker.Worker, "not started", null, null, over.Outcome == "killed" ? "the fleet was killed first" : null)
                    : new WorkerStatusLine(worker.Worker, "pending", null, null, null);
            case WorkerStatus.Limited:
                return new WorkerStatusLine(worker.Worker, "limited", null, worker.CostUsd, worker.Reason) { LimitedUntil = worker.LimitedUntil };
            default:
                var duration = worker.StartedAt is { } s && worker.EndedAt is { } e ? (e - s).TotalSeconds : (double?)null;
                return new WorkerStatusLine(worker.Worker, worker.Status.ToString().ToLowerInvariant(), duration, worker.CostUsd, worker.Reason);
        }
    }

    private static WorkerExitRecord? ExitRecordOf(string iterationDir, string worker)
    {
        var path = WorkerFiles.For(iterationDir, worker).ExitJson;
        try
        {
            return File.Exists(path) ? WorkerExitRecord.Read(path) : null;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static string OutcomeWord(WorkerOutcome outcome) => outcome switch
    {
        WorkerOutcome.Succeeded => "succeeded",
        WorkerOutcome.Killed => "killed",
        WorkerOutcome.Limited => "limited",
        _ => "failed",
    };
}
