using Fleet.Limits;
using Fleet.Pricing;
using Fleet.Spec;
using Fleet.State;
using Fleet.Workers;

namespace Fleet.Scheduling;

/// <summary>
/// The orchestrator's decisions as a pure function: from the folded journal, the fleet and what was observed, one
/// round of what to journal and what to do, in order. Each decision's entry is folded into a copy of the state
/// before the next is made, so a round sees its own effects (a skip makes its dependents skippable, an end frees
/// a slot) exactly as the orchestrator's state will once it has journaled them.
/// </summary>
public static class Scheduler
{
    /// <param name="state">The run as the journal tells it; not changed.</param>
    /// <param name="fleet">The resolved fleet.</param>
    /// <param name="observed">What the files and processes said this round.</param>
    /// <param name="limits">How long limited workers wait; the default policy when null.</param>
    public static IReadOnlyList<Decision> Decide(RunState state, ResolvedFleet fleet, Observations observed, LimitPolicy? limits = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(fleet);
        ArgumentNullException.ThrowIfNull(observed);
        return new Round(state.Clone(), fleet, observed, limits ?? LimitPolicy.Default).Decide();
    }


    private sealed class Round(RunState state, ResolvedFleet fleet, Observations observed, LimitPolicy limits)
    {
        private readonly List<Decision> _decisions = [];

        public List<Decision> Decide()
        {
            if (state.Ended is { } ended)
            {
                return [new ReportOutcome(ended.Outcome ?? "failed", ended.Reason ?? string.Empty, ended.ExitCode ?? ExitCodes.Failed)];
            }

            if (state.Paused)
            {
                return [state.Escalated
                    ? new ReportOutcome("escalated", state.PauseReason ?? "the reviewer escalated", ExitCodes.NeedsPerson)
                    : new ReportOutcome("paused", state.PauseReason ?? "paused", ExitCodes.NeedsPerson)];
            }

            var n = state.Iteration;
            if (n == 0)
            {
                n = 1;
                Add(new StartIteration(1));
            }

            CollectEnded(n);
            ContinueLimited(n);
            StartReady(n);
            Add(new KeepIdleShims(ShimsToKeep(n)));

            if (fleet.Workers.All(w => state.Worker(w.Id, n).IsDone))
            {
                EndIteration(n);
            }
            else if (Running(n) == 0 && state.CostCapReached)
            {
                var notStarted = fleet.Workers.Where(w => state.Worker(w.Id, n).Status == WorkerStatus.Pending).Select(w => w.Id);
                Add(new EndRun("failed", $"cost cap reached: spent {Usd.Text(state.Spent)} of {Usd.Text(fleet.StopRules.CostCapUsd ?? 0)}; not started: {string.Join(", ", notStarted)}", ExitCodes.Failed, state.Spent));
            }
            else if (PausesBetweenWorkers && Running(n) == 0 && !fleet.Workers.Any(w => state.Worker(w.Id, n).Status == WorkerStatus.Limited))
            {
                // A dag or worktree fleet has one iteration: its boundary is between workers, once the running ones end.
                var layout = new FleetLayout(fleet.Root);
                var notStarted = fleet.Workers.Where(w => state.Worker(w.Id, n).Status == WorkerStatus.Pending).Select(w => w.Id);
                Add(new Pause(n, Escalated: false, $"paused by a person ({layout.Relative(layout.PausedFile)}); not started: {string.Join(", ", notStarted)}"));
            }

            // A journaled decision may have made the next one possible (a new iteration, a skip): the caller decides again at once.
            if (!_decisions.Any(d => d.Entry is not null || d is ReadReview))
            {
                Add(new Wait(NextLimitReset()));
            }

            return _decisions;
        }

        private void Add(Decision decision)
        {
            _decisions.Add(decision);
            if (decision.Entry is { } entry)
            {
                state.Apply(entry);
            }
        }

        /// <summary>A person asked a dag or worktree fleet to pause: it starts no new worker (an iterative one stops at its iteration's end).</summary>
        private bool PausesBetweenWorkers => observed.PauseRequested && fleet.Type != FleetType.Iterative;

        private int Running(int n) => fleet.Workers.Count(w => state.Worker(w.Id, n).Status == WorkerStatus.Started);

        private void CollectEnded(int n)
        {
            foreach (var worker in fleet.Workers.Where(w => state.Worker(w.Id, n).Status == WorkerStatus.Started).ToList())
            {
                if (!observed.Workers.TryGetValue(worker.Id, out var seen))
                {
                    continue;
                }

                var attempt = state.Worker(worker.Id, n).Attempt;
                if (seen.Exit is { } record)
                {
                    Add(new EndWorker(worker, n, record));
                    continue;
                }

                if (seen.Limited is { } limited)
                {
                    Limited(worker, n, attempt, limited);
                    continue;
                }

                if (seen.Claim is not { } look)
                {
                    // Started here and not ended: a shim that died without a record is found when its claim is looked at.
                    continue;
                }

                var claim = look.Claim;
                if (claim is not null && (claim.Attempt ?? 1) < attempt)
                {
                    // The claim of the limited attempt before this continuation: set aside, so the continuation's shim can claim.
                    Add(new SetAsideClaim(worker.Id, n, claim.Attempt ?? 1));
                    claim = null;
                }

                var verdict = WorkerRecovery.Decide(claim, claim is not null && look.ShimAlive, claim is not null && look.AgentAlive);
                switch (verdict)
                {
                    case RecoveryVerdict.Unclaimed:
                        // Journaled but never claimed: a previous orchestrator died between its intent and the spawn, or the
                        // shim is still starting. Spawning again is safe: only one shim can claim the pair.
                        if (!seen.StartedHere)
                        {
                            Add(new Spawn(worker, n, attempt));
                        }

                        break;
                    case RecoveryVerdict.Running:
                        break;
                    case RecoveryVerdict.RecordedInClaim:
                        Add(new EndWorker(worker, n, claim!.Exit!, FromClaim: true));
                        break;
                    default:
                        if (look.ExitAfter is { } late)
                        {
                            Add(new EndWorker(worker, n, late));
                        }
                        else if (!look.LimitedAfter)
                        {
                            // Limited after the first look: the next round takes it as limited, never as lost.
                            Add(new MarkLost(worker.Id, n, verdict));
                        }

                        break;
                }
            }
        }

        /// <summary>A run ended on a limit: its session continues later, or it fails when fleet will not wait.</summary>
        private void Limited(ResolvedWorker worker, int n, int attempt, WorkerExitRecord record)
        {
            var hit = new LimitHit(
                record.Reason switch { "usage limit" => LimitKind.UsageLimit, "rate limit" => LimitKind.RateLimit, _ => LimitKind.Overloaded },
                record.ResetsAt,
                record.Error ?? record.Reason ?? "limit");
            var wait = LimitWait.Decide(hit, record.EndedAt, state.Worker(worker.Id, n).Limits, limits);
            Add(new RecordLimit(worker, n, attempt, hit, wait, record.CostUsd));
            if (wait.Until is null)
            {
                Add(new GiveUpLimited(worker.Id, n, wait.Reason, record.ExitCode));
            }
        }

        /// <summary>
        /// Continues each limited worker whose reset has come, or at once when a person asked: intent first (the new
        /// attempt), then a new shim that claims the pair for that attempt. The cost cap still holds.
        /// </summary>
        private void ContinueLimited(int n)
        {
            var due = new List<(ResolvedWorker Worker, int Attempt)>();
            foreach (var worker in fleet.Workers)
            {
                var limited = state.Worker(worker.Id, n);
                if (limited.Status != WorkerStatus.Limited)
                {
                    continue;
                }

                if (fleet.StopRules.CostCapUsd is { } cap && state.Spent >= cap)
                {
                    Add(new GiveUpLimited(worker.Id, n, $"{limited.Reason}; cost cap reached: spent {Usd.Text(state.Spent)} of {Usd.Text(cap)}", null));
                    continue;
                }

                if (observed.ContinueRequested || limited.LimitedUntil is not { } until || until <= observed.Now)
                {
                    Add(new ContinueWorker(worker.Id, n, limited.Attempt + 1, observed.ContinueRequested));
                    due.Add((worker, limited.Attempt + 1));
                }
            }

            if (observed.ContinueRequested)
            {
                Add(new ClearContinueRequest());
            }

            foreach (var (worker, attempt) in due)
            {
                Add(new SetAsideClaim(worker.Id, n, attempt - 1));
                Add(new Spawn(worker, n, attempt));
            }
        }

        /// <summary>Layer by layer, within max_concurrent and the cost cap; a dag skips the dependents of a worker that did not succeed.</summary>
        private void StartReady(int n)
        {
            var running = Running(n);
            var ready = new List<ResolvedWorker>();
            foreach (var id in fleet.Graph.Layers().SelectMany(l => l))
            {
                if (state.Worker(id, n).Status != WorkerStatus.Pending)
                {
                    continue;
                }

                var worker = fleet.Worker(id);
                var dependencies = worker.DependsOn.Select(d => state.Worker(d, n)).ToList();
                if (dependencies.Any(d => !d.IsDone))
                {
                    continue;
                }

                // In an iterative fleet the reviewer sees the failure and decides.
                var broken = dependencies.Where(d => d.Status != WorkerStatus.Succeeded).ToList();
                if (fleet.Type != FleetType.Iterative && broken.Count > 0)
                {
                    Add(new SkipWorker(id, n, string.Join("; ", broken.Select(d => $"{d.Worker} {d.Status.ToString().ToLowerInvariant()}"))));
                    continue;
                }

                if (running >= fleet.MaxConcurrent || PausesBetweenWorkers)
                {
                    continue;
                }

                // The cap is checked before every start; running workers are never stopped for cost.
                if (fleet.StopRules.CostCapUsd is { } cap && state.Spent >= cap)
                {
                    if (!state.CostCapReached)
                    {
                        Add(new ReachCostCap(state.Spent, $"spent {Usd.Text(state.Spent)} of {Usd.Text(cap)}"));
                    }

                    break;
                }

                Add(new StartWorker(worker, n));
                ready.Add(worker);
                running++;
            }

            foreach (var worker in ready)
            {
                Add(new Spawn(worker, n));
            }
        }

        private void EndIteration(int n)
        {
            if (fleet.Type != FleetType.Iterative)
            {
                var notOk = fleet.Workers.Select(w => state.Worker(w.Id, n)).Where(w => w.Status != WorkerStatus.Succeeded).ToList();
                Add(notOk.Count == 0
                    ? new EndRun("success", $"all {fleet.Workers.Count} workers succeeded", ExitCodes.Success, state.Spent)
                    : new EndRun("failed", string.Join("; ", notOk.Select(w => $"{w.Worker} {w.Status.ToString().ToLowerInvariant()}{(w.Reason is null ? "" : ": " + w.Reason)}")), ExitCodes.Failed, state.Spent));
                return;
            }

            // Paused here and resumed by a person: this iteration's verdict and pause were acted on already.
            var resumedHere = state.ResumedAtIteration == n;
            if (state.Verdicts.All(v => v.Iteration != n))
            {
                if (observed.Review is not { } read || read.Iteration != n)
                {
                    Add(new ReadReview(n));
                    return;
                }

                Add(new RecordVerdict(n, read.Verdict));
            }

            var verdict = state.Verdicts.First(v => v.Iteration == n);
            var rules = fleet.StopRules;
            var lgtm = state.LgtmCount;
            if (verdict.Verdict == VerdictRecord.Lgtm && lgtm >= rules.ReviewerLgtmCount)
            {
                Add(new EndRun("success", $"{lgtm} lgtm verdict{(lgtm == 1 ? "" : "s")} (needed {rules.ReviewerLgtmCount})", ExitCodes.Success, state.Spent));
            }
            else if (verdict.Verdict == VerdictRecord.Escalate && !resumedHere)
            {
                Add(new Pause(n, Escalated: true, verdict.Reason ?? "the reviewer escalated without a reason"));
            }
            else if (n >= rules.MaxIterations)
            {
                Add(new EndRun("failed", $"max iterations ({rules.MaxIterations}) reached with {lgtm} of {rules.ReviewerLgtmCount} lgtm verdicts", ExitCodes.Failed, state.Spent));
            }
            else if (rules.CostCapUsd is { } cap && state.Spent >= cap)
            {
                Add(new EndRun("failed", $"cost cap reached: spent {Usd.Text(state.Spent)} of {Usd.Text(cap)}", ExitCodes.Failed, state.Spent));
            }
            else if (observed.PauseRequested && !resumedHere)
            {
                var layout = new FleetLayout(fleet.Root);
                Add(new Pause(n, Escalated: false, $"paused by a person ({layout.Relative(layout.PausedFile)}) after iteration {n}"));
            }
            else
            {
                Add(new StartIteration(n + 1));
            }
        }

        /// <summary>Idle shims worth keeping: as many as workers may still start in this run (at most max_concurrent).</summary>
        private int ShimsToKeep(int n) => fleet.Type == FleetType.Iterative
            ? Math.Min(fleet.MaxConcurrent, fleet.Workers.Count)
            : Math.Min(fleet.MaxConcurrent, fleet.Workers.Count(w => state.Worker(w.Id, n).Status == WorkerStatus.Pending));

        private DateTimeOffset? NextLimitReset()
        {
            var n = Math.Max(1, state.Iteration);
            var times = fleet.Workers.Select(w => state.Worker(w.Id, n)).Where(w => w.Status == WorkerStatus.Limited && w.LimitedUntil is not null).Select(w => w.LimitedUntil!.Value).ToList();
            return times.Count == 0 ? null : times.Min();
        }
    }
}
