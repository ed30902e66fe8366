using Fleet.State;

namespace Fleet.UseCases;

/// <param name="Root">The fleet root, absolute.</param>
/// <param name="DisplayRoot">The root as the person gave it, for messages.</param>
public sealed record PauseFleetRequest(string Root, string DisplayRoot);

/// <param name="Iteration">The iteration after whose end the fleet stops.</param>
/// <param name="Effect">What the pause does to this fleet, in a person's words (the type decides where it stops).</param>
public sealed record PauseFleetResult(string Run, int Iteration, string Effect);

/// <summary>
/// <c>fleet pause</c>: asks the run to stop at the next iteration boundary by leaving the pause flag (<c>ROOT/.paused</c>)
/// the orchestrator looks for; running workers finish and nothing is killed. The orchestrator journals the pause when it
/// takes it, so a flag left while no orchestrator runs is taken by the next one.
/// </summary>
public sealed class PauseFleet(FleetHost host)
{
    public async Task<PauseFleetResult> RunAsync(PauseFleetRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var layout = FleetRoots.Existing(request.Root, request.DisplayRoot);
        var state = FleetRuns.Load(layout);
        if (state.RunId is null || state.Ended is not null)
        {
            throw new FleetOperationException($"{request.DisplayRoot} has no running fleet to pause");
        }

        await File.WriteAllTextAsync(layout.PausedFile, $"paused by a person at {host.Time.GetUtcNow():O}\n", cancellationToken);
        var iteration = Math.Max(1, state.Iteration);
        return new PauseFleetResult(state.RunId, iteration, Effect(state.FleetType, iteration));
    }

    /// <summary>An iterative fleet stops at its iteration's end; a dag or worktree fleet (one iteration) between workers.</summary>
    public static string Effect(string? fleetType, int iteration) => fleetType == "iterative"
        ? $"the fleet stops after iteration {iteration} ends (running workers finish)"
        : "the fleet starts no new worker; running workers finish, then it pauses";
}
