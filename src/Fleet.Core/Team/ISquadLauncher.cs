namespace Fleet.Team;

/// <summary>
/// Starts a squad's fleet and returns the fleet's run id; a refusal is a <see cref="TeamException"/>. The use cases
/// implement it (Team sits below them); tests stand in a launcher of their own.
/// </summary>
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
