using Fleet.Orchestration;
using Fleet.Paths;
using Fleet.State;

namespace Fleet.UseCases;

/// <summary>A fleet to go on with.</summary>
/// <param name="Root">The fleet root, absolute.</param>
/// <param name="DisplayRoot">The root as the person gave it, for messages.</param>
/// <param name="FleetCommand">The argv that runs fleet itself, should the orchestrator need starting.</param>
public sealed record ResumeFleetRequest(string Root, string DisplayRoot, IReadOnlyList<string> FleetCommand);

/// <summary>The run going on again.</summary>
/// <param name="ContinuedNow">Limited workers continued at once rather than at their limit's reset.</param>
/// <param name="OrchestratorStarted">True: a new orchestrator was started; false: the one running goes on.</param>
public sealed record ResumeFleetResult(string Run, FleetLayout Layout, IReadOnlyList<string> ContinuedNow, int OrchestratorPid, bool OrchestratorStarted);

/// <summary>
/// <c>fleet resume</c>: go on after a pause or an escalation, continue limited workers without waiting for the reset, and
/// start the orchestrator if none runs. As a launch does, it holds the root's <see cref="LaunchLock"/> from its look at
/// the run's state until the orchestrator it starts has taken over, so no other launch or resume of the root acts meanwhile.
/// </summary>
/// <param name="progress">Told what is done as it is done (the workers continued now), before the orchestrator starts.</param>
public sealed class ResumeFleet(FleetHost host, Action<string>? progress = null)
{
    public async Task<ResumeFleetResult> RunAsync(ResumeFleetRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var displayRoot = request.DisplayRoot;
        var layout = FleetRoots.Existing(request.Root, displayRoot);
        if (FleetRuns.JournalProblem(layout) is { } problem)
        {
            throw new FleetOperationException($"{problem}; the run cannot be resumed from it: start a new run with fleet launch {displayRoot}");
        }

        if (FleetRuns.Load(layout).RunId is null)
        {
            throw new FleetOperationException($"{displayRoot} was never launched: fleet launch {displayRoot}");
        }

        using var launchLock = await OrchestratorStart.TakeLaunchLockAsync(layout, FleetRuns.Load(layout).FleetName ?? Path.GetFileName(layout.Root), "resume", displayRoot, host.Time, cancellationToken);
        var state = FleetRuns.Load(layout);
        if (state.Ended is { } ended)
        {
            throw new FleetOperationException($"the run {state.RunId} has ended ({ended.Outcome}: {ended.Reason}); start a new one with fleet launch {displayRoot}");
        }

        File.Delete(layout.PausedFile);
        var limited = state.InIteration(Math.Max(1, state.Iteration)).Where(w => w.Status == WorkerStatus.Limited).Select(w => w.Worker).ToList();
        if (limited.Count > 0)
        {
            // The orchestrator (this one, or the one started below) continues them at once instead of waiting for the reset.
            PrivateFiles.CreateDirectory(layout.StateDir);
            await PrivateFiles.WriteAllTextAsync(layout.ContinueNowFile, string.Join('\n', limited) + "\n", cancellationToken);
            progress?.Invoke($"continuing now (not waiting for the limit's reset): {string.Join(", ", limited)}");
        }

        if (state.Paused)
        {
            await new Journal(layout.JournalFile, host.Time).AppendAsync(new JournalEntry { Type = JournalTypes.Resumed, Run = state.RunId, Reason = "resumed by a person" }, cancellationToken);

            // A paused run's orchestrator has finished its work and is on its way out: let it go, then start anew.
            await OrchestratorStart.WaitForExitAsync(layout, cancellationToken);
        }

        if (OrchestratorInfo.Running(layout) is { } running)
        {
            return new ResumeFleetResult(state.RunId!, layout, limited, running.Pid, OrchestratorStarted: false);
        }

        var info = await OrchestratorStart.StartAsync(host, request.FleetCommand, layout, rehearse: false, cancellationToken);
        return new ResumeFleetResult(state.RunId!, layout, limited, info.Pid, OrchestratorStarted: true);
    }
}
