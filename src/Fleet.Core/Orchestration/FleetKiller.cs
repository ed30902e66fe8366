using Fleet.Processes;
using Fleet.State;
using Fleet.Workers;

namespace Fleet.Orchestration;

/// <summary>What <c>fleet kill</c> did to one process.</summary>
public sealed record KillAction(string What, string Result);

/// <summary>
/// A person's hard stop. The orchestrator first (so it starts nothing new), then every worker's processes through the
/// stop ladder (SIGINT, SIGTERM, SIGKILL; <c>--force</c> goes straight to SIGKILL), all workers at once. A worker's
/// processes are found afresh on every poll from the claim its shim left: the agent and its process group, every
/// process whose environment carries the worker's token (<see cref="WorkerToken"/>), and every descendant of those and
/// of the shim (a child subreaper, so orphans reparent to it). So setsid'd, double-forked and daemonized grandchildren
/// go too. Identities are pid plus start time: a recycled pid is never signalled. A zombie has ended: it is never
/// waited for, so a PID 1 that does not reap cannot hold the kill up.
/// </summary>
public static class FleetKiller
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan OrchestratorGrace = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ShimGrace = TimeSpan.FromSeconds(1);

    public static async Task<IReadOnlyList<KillAction>> KillAsync(
        FleetLayout layout, string? worker, bool force, StopLadder ladder, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(ladder);
        var actions = new List<KillAction>();
        var all = worker is null;
        var journal = new Journal(layout.JournalFile, time);
        var state = FleetRuns.Load(layout);

        if (all && OrchestratorInfo.Running(layout) is { } orchestrator)
        {
            orchestrator.Identity.Signal(force ? UnixSignal.SIGKILL : UnixSignal.SIGTERM);
            var gone = await WaitGoneAsync(orchestrator.Identity, OrchestratorGrace, time, cancellationToken);
            if (!gone)
            {
                orchestrator.Identity.Signal(UnixSignal.SIGKILL);
                gone = await WaitGoneAsync(orchestrator.Identity, OrchestratorGrace, time, cancellationToken);
            }

            actions.Add(new KillAction($"orchestrator (pid {orchestrator.Pid})", gone ? "stopped" : "still running"));
        }

        var workers = new Dictionary<(string IterationDir, string Worker), WorkerSweep>();
        await SweepAsync(layout, worker, force, ladder, workers, time, cancellationToken);
        foreach (var sweep in workers.Values.Where(w => w.Found > 0))
        {
            var what = $"{sweep.Worker} in {layout.Relative(sweep.IterationDir)} ({sweep.Found} process{(sweep.Found == 1 ? "" : "es")}{(sweep.Claim.Agent is { } agent ? $", process group {agent.Pid}" : "")})";
            actions.Add(new KillAction(what, (sweep.Outcome ?? StopOutcome.StillPresent).Describe()));
            await journal.AppendAsync(new JournalEntry
            {
                Type = JournalTypes.Killed,
                Run = state.RunId,
                Worker = sweep.Worker,
                Iteration = int.TryParse(Path.GetFileName(sweep.IterationDir), out var n) ? n : null,
                Reason = force ? "killed by a person (--force)" : "killed by a person",
            }, cancellationToken);
        }

        // The shim records the death in exit.json; give it a moment, then make sure it is gone too. With the whole
        // fleet stopped every shim exits; a single worker's shim may stay, linked to the orchestrator, to run other
        // workers once this one's exit.json is written, and then it is no longer this worker's to stop.
        await Task.WhenAll(workers.Values.Where(w => all || w.Found > 0).Select(async sweep =>
        {
            var shim = sweep.Claim.Shim;
            var exitJson = WorkerFiles.For(sweep.IterationDir, sweep.Worker).ExitJson;
            if (shim.IsAlive && !await WaitUntilAsync(() => !shim.IsAlive || (!all && File.Exists(exitJson)), ShimGrace, time, cancellationToken))
            {
                shim.Signal(UnixSignal.SIGTERM);
            }
        }));

        if (all && state.RunId is not null && state.Ended is null)
        {
            await journal.AppendAsync(new JournalEntry
            {
                Type = JournalTypes.RunEnded,
                Run = state.RunId,
                Outcome = "killed",
                Reason = "killed by a person (fleet kill)",
                ExitCode = ExitCodes.Failed,
                CostUsd = state.Spent,
            }, cancellationToken);
        }

        return actions;
    }

    /// <summary>
    /// The ladder over every matching worker at once. Each poll re-reads the claims (a shim may claim a worker while we
    /// work) and the process table, signals every live process found with the current step's signal (each once; SIGKILL
    /// again to what is still there) and notes each worker's outcome when its last process has ended.
    /// </summary>
    private static async Task SweepAsync(
        FleetLayout layout, string? worker, bool force, StopLadder ladder, Dictionary<(string, string), WorkerSweep> workers, TimeProvider time, CancellationToken cancellationToken)
    {
        (UnixSignal Signal, TimeSpan Grace, StopOutcome Outcome)[] steps = force
            ? [(UnixSignal.SIGKILL, ladder.KillGrace, StopOutcome.StoppedByKill)]
            :
            [
                (UnixSignal.SIGINT, ladder.InterruptGrace, StopOutcome.StoppedByInterrupt),
                (UnixSignal.SIGTERM, ladder.TerminateGrace, StopOutcome.StoppedByTerminate),
                (UnixSignal.SIGKILL, ladder.KillGrace, StopOutcome.StoppedByKill),
            ];
        var sent = new HashSet<(ProcessIdentity Process, UnixSignal Signal)>();
        var self = Environment.ProcessId;
        for (var step = 0; step < steps.Length; step++)
        {
            var (signal, grace, _) = steps[step];
            var started = time.GetTimestamp();
            while (true)
            {
                var table = ProcessTable.Capture();
                var tokens = table.ValuesOf(WorkerToken.Variable);
                var anyLeft = false;
                foreach (var (iterationDir, id) in Claims(layout).Where(c => worker is null || c.Worker == worker))
                {
                    var claim = WorkerClaim.TryRead(iterationDir, id);
                    if (!workers.TryGetValue((iterationDir, id), out var sweep))
                    {
                        if (claim is null)
                        {
                            continue;
                        }

                        workers[(iterationDir, id)] = sweep = new WorkerSweep(iterationDir, id, claim);
                    }

                    // The shim rewrites its claim once the agent runs; a claim caught mid-write reads as null.
                    sweep.Claim = claim ?? sweep.Claim;
                    var live = ProcessSweep.Select(table.Processes, sweep.ScopeIn(tokens, worker is null), self);
                    if (live.Count == 0)
                    {
                        if (sweep.LastStep is { } last)
                        {
                            sweep.Outcome ??= steps[last].Outcome;
                        }

                        continue;
                    }

                    anyLeft = true;
                    sweep.Outcome = null;
                    sweep.LastStep = step;
                    foreach (var process in live)
                    {
                        var identity = new ProcessIdentity(process.Pid, process.StartTime);
                        sweep.Seen.Add(identity);
                        if (sent.Add((identity, signal)) || signal == UnixSignal.SIGKILL)
                        {
                            identity.Signal(signal);
                        }
                    }
                }

                if (!anyLeft)
                {
                    return;
                }

                if (time.GetElapsedTime(started) >= grace)
                {
                    break;
                }

                await Task.Delay(PollInterval, time, cancellationToken);
            }
        }
    }

    /// <summary>One worker's part in a kill: its claim, the processes seen, and the step that ended the last of them.</summary>
    private sealed class WorkerSweep(string iterationDir, string worker, WorkerClaim claim)
    {
        public string IterationDir { get; } = iterationDir;

        public string Worker { get; } = worker;

        public WorkerClaim Claim { get; set; } = claim;

        public HashSet<ProcessIdentity> Seen { get; } = [];

        public int Found => Seen.Count;

        /// <summary>The last step whose signal its processes got; when they are all gone, that signal ended them.</summary>
        public int? LastStep { get; set; }

        /// <summary>Null while processes are left (or none were ever found).</summary>
        public StopOutcome? Outcome { get; set; }

        /// <summary>
        /// The agent, the token's carriers, and the shim's descendants. A single worker's kill walks the shim only while
        /// it still runs this worker (no exit.json yet): a linked shim then runs another worker, not this one's.
        /// </summary>
        public SweepScope ScopeIn(IReadOnlyDictionary<int, string> tokens, bool wholeFleet)
        {
            var carriers = Claim.Token is { } token ? tokens.Where(t => t.Value == token).Select(t => t.Key).ToHashSet() : [];
            var shimRunsThis = wholeFleet || !File.Exists(WorkerFiles.For(IterationDir, Worker).ExitJson);
            return new SweepScope(carriers, Claim.Agent, shimRunsThis ? Claim.Shim : null);
        }
    }

    /// <summary>Every (iteration folder, worker) that a shim claimed in this run.</summary>
    public static IEnumerable<(string IterationDir, string Worker)> Claims(FleetLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var iterations = Path.Combine(layout.Root, "iterations");
        if (!Directory.Exists(iterations))
        {
            yield break;
        }

        foreach (var dir in Directory.GetDirectories(iterations).Order(StringComparer.Ordinal))
        {
            foreach (var file in Directory.GetFiles(dir, "*.run.json").Order(StringComparer.Ordinal))
            {
                yield return (dir, Path.GetFileName(file)[..^".run.json".Length]);
            }
        }
    }

    private static Task<bool> WaitGoneAsync(ProcessIdentity process, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken) =>
        WaitUntilAsync(() => !process.IsAlive, timeout, time, cancellationToken);

    private static async Task<bool> WaitUntilAsync(Func<bool> done, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + timeout;
        while (!done())
        {
            if (time.GetUtcNow() >= deadline)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), time, cancellationToken);
        }

        return true;
    }
}
