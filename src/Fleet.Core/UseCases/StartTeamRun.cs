using Fleet.Orchestration;
using Fleet.Orchestration.Spawning;
using Fleet.State;
using Fleet.Team;

namespace Fleet.UseCases;

/// <summary>A team run whose orchestrator runs detached.</summary>
/// <param name="RunDir">The run's folder: its journal, spec, squads and retro.</param>
public sealed record TeamRunStarted(string Run, string RunDir, OrchestratorInfo Orchestrator);

/// <summary>
/// <c>fleet team run</c>: the run's spec and the start of its journal in the run's folder, then the team orchestrator
/// (<c>fleet team orchestrate RUN_DIR</c>) detached as <c>fleet launch</c> starts a fleet's (<see cref="OrchestratorStart"/>),
/// and the run in the user's registry, so <c>fleet ls</c> lists it. <c>fleet team resume</c> starts the orchestrator again.
/// </summary>
public sealed class StartTeamRun(FleetHost host)
{
    public async Task<TeamRunStarted> RunAsync(TeamRunSettings settings, bool rehearse, TmuxPreference tmux, IReadOnlyList<string> fleetCommand, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var layout = new TeamLayout(settings.Repository);
        var run = TeamLayout.NewRunId(host.Time.GetUtcNow());
        var runDir = layout.RunDir(run);
        new TeamRunSpec(run, settings, rehearse, TeamRunSpec.TmuxName(tmux)).Save(runDir);
        await new TeamRunJournal(runDir, host.Time).BeginAsync(run, rehearse, RunArms.Journaled(settings.NoMemory), cancellationToken);
        var orchestrator = await OrchestratorStart.StartAsync(host, fleetCommand, new FleetLayout(runDir), OrchestrateArgs(runDir), cancellationToken);
        new FleetRegistry(host.UserDirs).Register(runDir, TeamRunJournal.FleetName(run), host.Time);
        return new TeamRunStarted(run, runDir, orchestrator);
    }

    /// <summary>The team orchestrator's arguments after the fleet command.</summary>
    public static IReadOnlyList<string> OrchestrateArgs(string runDir) => ["team", "orchestrate", runDir];
}
