using Fleet.Planning;
using Fleet.Processes;
using Fleet.Workers;

namespace Fleet.Orchestration;

/// <summary>What <c>fleet kill</c> did to one process.</summary>
public sealed record KillAction(string What, string Result);

/// <summary>
/// A person's hard stop. The orchestrator first (so it starts nothing new), then every agent's process
/// group through the stop ladder (SIGINT, SIGTERM, SIGKILL; <c>--force</c> goes straight to SIGKILL),
/// found through the claims the shims left (the journal's process list), so orphans and double-forked
/// grandchildren go too. Identities are pid plus start time: a recycled pid is never signalled.
/// </summary>
public static class FleetKiller
{
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
            var gone = await WaitGoneAsync(orchestrator.Identity, TimeSpan.FromSeconds(5), time, cancellationToken);
            if (!gone)
            {
                orchestrator.Identity.Signal(UnixSignal.SIGKILL);
                gone = await WaitGoneAsync(orchestrator.Identity, TimeSpan.FromSeconds(5), time, cancellationToken);
            }

            actions.Add(new KillAction($"orchestrator (pid {orchestrator.Pid})", gone ? "stopped" : "still running"));
        }

        foreach (var (iterationDir, id) in Claims(layout).Where(c => all || c.Worker == worker))
        {
            var claim = WorkerClaim.TryRead(iterationDir, id);
            if (claim?.Agent is not { } agent || !IsOurGroup(agent))
            {
                continue;
            }

            var what = $"{id} in {layout.Relative(iterationDir)} (process group {agent.Pid})";
            var outcome = force
                ? await ForceAsync(agent.Pid, ladder, time, cancellationToken)
                : await ProcessGroup.StopAsync(agent.Pid, ladder, time, cancellationToken);
            actions.Add(new KillAction(what, outcome.ToString()));
            await journal.AppendAsync(new JournalEntry
            {
                Type = JournalTypes.Killed,
                Run = state.RunId,
                Worker = id,
                Iteration = int.TryParse(Path.GetFileName(iterationDir), out var n) ? n : null,
                Reason = force ? "killed by a person (--force)" : "killed by a person",
            }, cancellationToken);

            // The shim records the death in exit.json; give it a moment, then make sure it is gone too. With the
            // whole fleet stopped every shim exits; a single worker's shim may stay, linked to the orchestrator, to run
            // other workers once this one's exit.json is written, and then it is no longer this worker's to stop.
            var exitJson = WorkerFiles.For(iterationDir, id).ExitJson;
            if (claim.Shim.IsAlive && !await WaitUntilAsync(() => !claim.Shim.IsAlive || (!all && File.Exists(exitJson)), TimeSpan.FromSeconds(5), time, cancellationToken))
            {
                claim.Shim.Signal(UnixSignal.SIGTERM);
            }
        }

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

    /// <summary>
    /// The agent's group is ours while its leader lives with the recorded start time, or while the group
    /// still exists without any leader (its grandchildren): a pid cannot be reused while a group has that id.
    /// </summary>
    private static bool IsOurGroup(ProcessIdentity agent)
    {
        if (!ProcessGroup.Exists(agent.Pid))
        {
            return false;
        }

        return agent.IsAlive || ProcStat.TryRead(agent.Pid) is null || ProcStat.TryRead(agent.Pid)!.HasEnded;
    }

    private static async Task<StopOutcome> ForceAsync(int pgid, StopLadder ladder, TimeProvider time, CancellationToken cancellationToken)
    {
        ProcessGroup.Signal(pgid, UnixSignal.SIGKILL);
        return await ProcessGroup.WaitUntilGoneAsync(pgid, ladder.KillGrace, time, cancellationToken) ? StopOutcome.StoppedByKill : StopOutcome.StillPresent;
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
