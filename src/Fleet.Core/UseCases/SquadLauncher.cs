using Fleet.Orchestration;
using Fleet.Orchestration.Spawning;
using Fleet.State;
using Fleet.Team;
using Fleet.Validation;

namespace Fleet.UseCases;

/// <summary>
/// A squad's fleet launched as <c>fleet launch</c> launches any fleet (<see cref="LaunchFleet"/>) and resumed as <c>fleet
/// resume</c> resumes one; a refusal is a <see cref="TeamException"/>, the squad's "not started".
/// </summary>
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
        try
        {
            return (await new LaunchFleet(host).RunAsync(request, cancellationToken)).Run;
        }
        catch (FleetOperationException e)
        {
            throw new TeamException(e.Message, e);
        }
    }

    public async Task ContinueAsync(string squadRoot, CancellationToken cancellationToken)
    {
        var layout = new FleetLayout(squadRoot);
        var state = FleetRuns.Load(layout);
        if (state.RunId is null || state.Ended is not null || state.Paused || OrchestratorInfo.Running(layout) is not null || FleetLock.IsHeld(layout))
        {
            return;
        }

        try
        {
            await new ResumeFleet(host).RunAsync(new ResumeFleetRequest(squadRoot, squadRoot, fleetCommand), cancellationToken);
        }
        catch (FleetOperationException e)
        {
            throw new TeamException(e.Message, e);
        }
    }

    public async Task ReleaseAsync(string squadRoot, CancellationToken cancellationToken)
    {
        if (tmux != TmuxPreference.Never)
        {
            await SquadTmux.CloseUnlessAttachedAsync(SquadFleet.FleetName(SquadDefinition.Load(squadRoot)), squadRoot, host.GetEnvironmentVariable(TmuxServer.SocketVariable), cancellationToken);
        }
    }
}
