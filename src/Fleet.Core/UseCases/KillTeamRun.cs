using Fleet.Orchestration;
using Fleet.State;

namespace Fleet.UseCases;

/// <summary>
/// <c>fleet team kill</c>: the team orchestrator first (so it starts nothing more), then every squad of the run whose
/// fleet has not ended, each as <c>fleet kill</c> stops a fleet (each journal, the run's too, records the kill).
/// </summary>
public sealed class KillTeamRun(FleetHost host)
{
    public async Task<IReadOnlyList<KillAction>> RunAsync(string runDir, bool force, CancellationToken cancellationToken)
    {
        _ = ResumeTeamRun.TeamRunSpecOf(runDir);
        var kill = new KillFleet(host);
        var actions = new List<KillAction>();
        actions.AddRange((await kill.RunAsync(new KillFleetRequest(runDir, runDir) { Force = force }, cancellationToken)).Actions);
        var squads = Directory.Exists(runDir) ? Directory.EnumerateDirectories(runDir, "issue-*").Order(StringComparer.Ordinal).ToList() : [];
        foreach (var squad in squads)
        {
            var state = FleetRuns.Load(new FleetLayout(squad));
            if (state.RunId is null || state.Ended is not null)
            {
                continue;
            }

            var killed = await kill.RunAsync(new KillFleetRequest(squad, squad) { Force = force }, cancellationToken);
            actions.AddRange(killed.Actions.Select(a => a with { What = $"{Path.GetFileName(squad)}: {a.What}" }));
        }

        return actions;
    }
}
