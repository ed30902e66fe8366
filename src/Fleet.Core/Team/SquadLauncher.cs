using Fleet.Orchestration.Spawning;
using Fleet.UseCases;
using Fleet.Validation;

namespace Fleet.Team;

/// <summary>Starts a squad's fleet and returns the fleet's run id; tests stand in a launcher of their own.</summary>
public interface ISquadLauncher
{
    Task<string> LaunchAsync(string squadRoot, CancellationToken cancellationToken);

    /// <summary>Called once when the squad's run has ended: lets go of what the run held open (its tmux server).</summary>
    Task ReleaseAsync(string squadRoot, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>A squad's fleet launched as <c>fleet launch</c> launches any fleet (<see cref="LaunchFleet"/>); a refusal is the squad's "not started".</summary>
/// <param name="fleetCommand">The argv that runs fleet itself.</param>
/// <param name="tmuxSocket">FLEET_TMUX_SOCKET as the launch sees it: the one socket every fleet shares, or null.</param>
public sealed class SquadLauncher(LaunchFleet launch, IReadOnlyList<string> fleetCommand, bool rehearse, TmuxPreference tmux, string? tmuxSocket = null) : ISquadLauncher
{
    public async Task ReleaseAsync(string squadRoot, CancellationToken cancellationToken)
    {
        if (tmux != TmuxPreference.Never)
        {
            await SquadTmux.CloseUnlessAttachedAsync(SquadFleet.FleetName(SquadDefinition.Load(squadRoot)), squadRoot, tmuxSocket, cancellationToken);
        }
    }

    public async Task<string> LaunchAsync(string squadRoot, CancellationToken cancellationToken)
    {
        var result = FleetValidator.ValidatePath(squadRoot);
        if (result.Fleet is not { } fleet)
        {
            throw new TeamException($"{squadRoot}: the squad's fleet is not valid: {string.Join("; ", result.Errors)}");
        }

        var launched = await launch.RunAsync(new LaunchFleetRequest(fleet, squadRoot, fleetCommand) { Rehearse = rehearse, Tmux = tmux }, cancellationToken);
        return launched.Run;
    }
}
