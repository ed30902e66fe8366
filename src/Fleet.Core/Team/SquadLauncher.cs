using Fleet.Orchestration;
using Fleet.Orchestration.Spawning;
using Fleet.State;
using Fleet.UseCases;
using Fleet.Validation;

namespace Fleet.Team;

/// <summary>Starts a squad's fleet and returns the fleet's run id; tests stand in a launcher of their own.</summary>
public interface ISquadLauncher
{
    Task<string> LaunchAsync(string squadRoot, CancellationToken cancellationToken);

    /// <summary>
    /// A squad started before the team orchestrator stopped: its run goes on where it is (its orchestrator restarted when
    /// it died with the run unended and not waiting for a person). Never a new run.
    /// </summary>
    Task ContinueAsync(string squadRoot, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Called once when the squad's run has ended: lets go of what the run held open (its tmux server).</summary>
    Task ReleaseAsync(string squadRoot, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>A squad's fleet launched as <c>fleet launch</c> launches any fleet (<see cref="LaunchFleet"/>); a refusal is the squad's "not started".</summary>
/// <param name="fleetCommand">The argv that runs fleet itself.</param>
/// <param name="noMemory">Squads run as the memory experiment's no-memory arm.</param>
public sealed class SquadLauncher(FleetHost host, IReadOnlyList<string> fleetCommand, bool rehearse, TmuxPreference tmux, bool noMemory = false) : ISquadLauncher
{
    public async Task<string> LaunchAsync(string squadRoot, CancellationToken cancellationToken)
    {
        var result = FleetValidator.ValidatePath(squadRoot);
        if (result.Fleet is not { } fleet)
        {
            throw new TeamException($"{squadRoot}: the squad's fleet is not valid: {string.Join("; ", result.Errors)}");
        }

        var request = new LaunchFleetRequest(fleet, squadRoot, fleetCommand) { Rehearse = rehearse, Tmux = tmux, NoMemory = noMemory };
        var launched = await new LaunchFleet(host).RunAsync(request, cancellationToken);
        return launched.Run;
    }

    public async Task ContinueAsync(string squadRoot, CancellationToken cancellationToken)
    {
        var layout = new FleetLayout(squadRoot);
        var state = FleetRuns.Load(layout);
        if (state.RunId is null || state.Ended is not null || state.Paused || OrchestratorInfo.Running(layout) is not null || FleetLock.IsHeld(layout))
        {
            return;
        }

        await new ResumeFleet(host).RunAsync(new ResumeFleetRequest(squadRoot, squadRoot, fleetCommand), cancellationToken);
    }

    public async Task ReleaseAsync(string squadRoot, CancellationToken cancellationToken)
    {
        if (tmux != TmuxPreference.Never)
        {
            await SquadTmux.CloseUnlessAttachedAsync(SquadFleet.FleetName(SquadDefinition.Load(squadRoot)), squadRoot, host.GetEnvironmentVariable(TmuxServer.SocketVariable), cancellationToken);
        }
    }
}
