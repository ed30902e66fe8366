using Fleet.Graph;
using Fleet.Limits;
using Fleet.Scheduling;
using Fleet.Spec;
using Fleet.State;
using Fleet.Workers;

namespace Fleet.Tests.Scheduling;

/// <summary>Fleets, journals and observations built in memory, so a round of decisions is a function call.</summary>
internal static class Rounds
{
    public static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A fleet of command workers; each worker is <c>id</c> or <c>id&lt;-dep,dep</c>.</summary>
    public static ResolvedFleet FleetOf(FleetType type, params string[] workers) => FleetOf(type, maxConcurrent: 3, workers);

    public static ResolvedFleet FleetOf(FleetType type, int maxConcurrent, params string[] workers)
    {
        var resolved = workers.Select(w => w.Split("<-")).Select(parts => new ResolvedWorker(
            parts[0], WorkerType.CodeRun, Provider.Command, null, null, null, null, PermissionMode.AcceptEdits, null,
            parts.Length > 1 ? parts[1].Split(',') : [], ["true"])).ToList();
        var graph = new DependencyGraph(resolved.Select(w => w.Id), id => resolved.First(w => w.Id == id).DependsOn);
        var stop = new EffectiveStopRules(ReviewerLgtmCount: 1, MaxIterations: type == FleetType.Iterative ? 10 : 1, CostCapUsd: null);
        return new ResolvedFleet("/fleet", "table", type, maxConcurrent, resolved, stop, graph);
    }

    public static ResolvedFleet Dag(params string[] workers) => FleetOf(FleetType.Dag, workers);

    public static ResolvedFleet Iterative(params string[] workers) => FleetOf(FleetType.Iterative, workers);

    public static ResolvedFleet WithCap(this ResolvedFleet fleet, decimal cap) => fleet with { StopRules = fleet.StopRules with { CostCapUsd = cap } };

    public static ResolvedFleet WithStopRules(this ResolvedFleet fleet, int lgtm, int maxIterations) =>
        fleet with { StopRules = fleet.StopRules with { ReviewerLgtmCount = lgtm, MaxIterations = maxIterations } };

    public static WorkerExitRecord Record(string worker, WorkerOutcome outcome = WorkerOutcome.Succeeded, decimal? cost = null, string? error = null, int iteration = 1) =>
        new() { Worker = worker, Iteration = iteration, StartedAt = Now.AddMinutes(-5), EndedAt = Now.AddMinutes(-1), Outcome = outcome, CostUsd = cost, Error = error, IsError = outcome != WorkerOutcome.Succeeded, ExitCode = outcome == WorkerOutcome.Succeeded ? 0 : 1 };

    /// <summary>An attempt that ended on a usage limit resetting at <paramref name="resets"/> (or a rate limit without one).</summary>
    public static WorkerExitRecord LimitRecord(string worker, DateTimeOffset? resets, decimal? cost = null) =>
        Record(worker, WorkerOutcome.Limited, cost, "You've hit your session limit") with { Reason = resets is null ? "rate limit" : "usage limit", ResetsAt = resets, EndedAt = Now };

    /// <summary>A claim held by a shim (pid 10) that began to start an agent when <paramref name="agent"/>.</summary>
    public static WorkerClaim Claim(bool agent = false, int? attempt = null) =>
        new() { ShimPid = 10, ShimStartTime = 20, AgentStarting = agent, AgentPid = agent ? 11 : null, AgentStartTime = agent ? 21 : null, Attempt = attempt };

    public static Observations Seen(params (string Worker, WorkerObservation Seen)[] workers) =>
        new() { Now = Now, Workers = workers.ToDictionary(w => w.Worker, w => w.Seen) };

    public static Observations Ended(params (string Worker, WorkerOutcome Outcome)[] workers) =>
        Seen([.. workers.Select(w => (w.Worker, new WorkerObservation { Exit = Record(w.Worker, w.Outcome), StartedHere = true }))]);

    public static Observations Nothing => Seen();

    /// <summary>The decisions as sentences, without the idle-shim bookkeeping every round ends with.</summary>
    public static IReadOnlyList<string> Decide(RunState state, ResolvedFleet fleet, Observations? observed = null, LimitPolicy? limits = null) =>
        [.. Scheduler.Decide(state, fleet, observed ?? Nothing, limits).Where(d => d is not KeepIdleShims).Select(d => d.ToString())];
}

/// <summary>A run's journal, entry by entry, folded into the state the scheduler reads.</summary>
internal sealed class JournalOf
{
    private readonly List<JournalEntry> _entries = [new() { Type = JournalTypes.RunStarted, Run = "r1", Ts = Rounds.Now.AddHours(-1) }];

    public RunState State => RunState.Fold(_entries);

    public static JournalOf Run(int iteration = 1) => new JournalOf().Add(JournalTypes.IterationStarted, iteration: iteration);

    public JournalOf Iteration(int n) => Add(JournalTypes.IterationStarted, iteration: n);

    public JournalOf Started(string worker, int n = 1) => Add(JournalTypes.WorkerSpawning, worker, n);

    public JournalOf Ended(string worker, string outcome = "succeeded", decimal? cost = null, int n = 1, string? reason = null) =>
        Add(JournalTypes.WorkerEnded, worker, n, outcome, reason, cost);

    public JournalOf Skipped(string worker, int n = 1) => Add(JournalTypes.WorkerSkipped, worker, n, reason: "skipped in the journal");

    public JournalOf Done(params string[] workers) => workers.Aggregate(this, (j, w) => j.Started(w).Ended(w));

    public JournalOf Limited(string worker, DateTimeOffset? until, int attempt = 1, int n = 1) =>
        Add(new JournalEntry { Type = JournalTypes.WorkerLimited, Worker = worker, Iteration = n, Attempt = attempt > 1 ? attempt : null, Outcome = "limited", Reason = "usage limit: You've hit your session limit", Until = until });

    public JournalOf Continued(string worker, int attempt, int n = 1) =>
        Add(new JournalEntry { Type = JournalTypes.WorkerContinued, Worker = worker, Iteration = n, Attempt = attempt });

    public JournalOf Verdict(int n, string verdict) => Add(JournalTypes.Verdict, iteration: n, outcome: verdict, reason: $"{verdict} at {n}");

    public JournalOf CostCapReached() => Add(JournalTypes.CostCapReached);

    public JournalOf Paused(int n, string outcome, string reason) => Add(JournalTypes.Paused, iteration: n, outcome: outcome, reason: reason);

    public JournalOf Resumed() => Add(JournalTypes.Resumed);

    public JournalOf RunEnded(string outcome, string reason, int exitCode) =>
        Add(new JournalEntry { Type = JournalTypes.RunEnded, Outcome = outcome, Reason = reason, ExitCode = exitCode });

    private JournalOf Add(string type, string? worker = null, int? iteration = null, string? outcome = null, string? reason = null, decimal? cost = null) =>
        Add(new JournalEntry { Type = type, Worker = worker, Iteration = iteration, Outcome = outcome, Reason = reason, CostUsd = cost });

    private JournalOf Add(JournalEntry entry)
    {
        _entries.Add(entry with { Run = "r1", Ts = Rounds.Now.AddMinutes(-30 + _entries.Count) });
        return this;
    }
}
