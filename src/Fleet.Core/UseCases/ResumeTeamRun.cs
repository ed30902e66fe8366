using Fleet.Orchestration;
using Fleet.State;
using Fleet.Team;

namespace Fleet.UseCases;

/// <param name="OrchestratorStarted">False when the run's orchestrator was running and goes on.</param>
public sealed record TeamRunResumed(string Run, string RunDir, int OrchestratorPid, bool OrchestratorStarted);

/// <summary>
/// <c>fleet team resume</c>: starts a team run's orchestrator again when it is not running (killed, the machine
/// restarted). The orchestrator follows the squads its journal says were started and starts only the others, so no
/// squad starts twice; under the run folder's launch lock, so two resumes never both start one.
/// </summary>
public sealed class ResumeTeamRun(FleetHost host)
{
    public async Task<TeamRunResumed> RunAsync(string runDir, IReadOnlyList<string> fleetCommand, CancellationToken cancellationToken)
    {
        var layout = new FleetLayout(runDir);
        var spec = TeamRunSpecOf(runDir);
        using var launchLock = await OrchestratorStart.TakeLaunchLockAsync(layout, TeamRunJournal.FleetName(spec.Run), "team resume", runDir, host.Time, cancellationToken);
        if (FleetRuns.Load(layout).Ended is { } ended)
        {
            throw new FleetOperationException($"the team run {spec.Run} has ended ({ended.Outcome}: {ended.Reason}); start a new one with fleet team run");
        }

        if (OrchestratorInfo.Running(layout) is { } running)
        {
            return new TeamRunResumed(spec.Run, runDir, running.Pid, OrchestratorStarted: false);
        }

        var info = await OrchestratorStart.StartAsync(host, fleetCommand, layout, StartTeamRun.OrchestrateArgs(runDir), cancellationToken);
        return new TeamRunResumed(spec.Run, runDir, info.Pid, OrchestratorStarted: true);
    }

    /// <summary>The run's spec, or a refusal naming what is wrong with it.</summary>
    public static TeamRunSpec TeamRunSpecOf(string runDir)
    {
        try
        {
            return TeamRunSpec.Load(runDir);
        }
        catch (InvalidDataException e)
        {
            throw new FleetOperationException(e.Message);
        }
    }
}
