using System.Text.Json;
using System.Text.Json.Serialization;
using Fleet.Orchestration;
using Fleet.State;
using Fleet.Team;

namespace Fleet.UseCases;

/// <summary>One issue of a team run as its files tell it now.</summary>
/// <param name="State">The squad's outcome once the run has one; else its fleet's state (running, escalated…), or <c>waiting</c> before it starts.</param>
public sealed record TeamSquadStatus(int Issue, int Wave, string State, string? Reason, string? SquadRoot, string? FleetRun, int Iteration, decimal SpentUsd);

/// <summary>A team run: its orchestrator's state (as <c>fleet status</c> names a fleet's) and each squad's.</summary>
public sealed record TeamStatus(string Run, string RunDir, string State, string? Reason, int? OrchestratorPid, string Arm, bool Rehearsal, IReadOnlyList<TeamSquadStatus> Squads)
{
    /// <summary>At most this many squads of a wave at once (null: no bound).</summary>
    public int? MaxSquads { get; init; }

    /// <summary>The run's team-wide cost cap, if any.</summary>
    public decimal? CostCapUsd { get; init; }
}

/// <summary><c>fleet team status</c>: reads the run's journal, its outcomes when it has them, and each started squad's fleet.</summary>
public sealed class ReadTeamStatus(FleetHost host)
{
    public TeamStatus Read(string runDir)
    {
        var spec = ResumeTeamRun.TeamRunSpecOf(runDir);
        var run = FleetStatus.Read(runDir, host.Time);
        var state = FleetRuns.Load(new FleetLayout(runDir));
        var outcomes = Outcomes(runDir);
        var journal = new TeamRunJournal(runDir, host.Time);
        var squads = new List<TeamSquadStatus>();
        var wave = 0;
        foreach (var issues in spec.Settings.Waves)
        {
            wave++;
            foreach (var issue in issues)
            {
                squads.Add(Squad(runDir, issue.Number, wave, outcomes.GetValueOrDefault(issue.Number), journal.CostCapRefusal(issue.Number)));
            }
        }

        foreach (var taken in spec.Settings.Taken.Where(t => squads.All(s => s.Issue != t.Number)))
        {
            squads.Add(new TeamSquadStatus(taken.Number, 0, SquadStatus.Taken, taken.Taken?.Reason, null, null, 0, 0m));
        }

        return new TeamStatus(spec.Run, runDir, run.State, run.Why, run.OrchestratorPid, state.Arm, spec.Rehearse, squads)
        {
            MaxSquads = spec.Settings.MaxSquads,
            CostCapUsd = spec.Settings.TeamCostCapUsd,
        };
    }

    /// <param name="refused">Why the team's cost cap kept the squad from starting, when it did.</param>
    private TeamSquadStatus Squad(string runDir, int issue, int wave, SquadOutcome? outcome, string? refused)
    {
        var root = Path.Combine(runDir, TeamLayout.SquadName(issue));
        var fleet = Directory.Exists(root) ? FleetStatus.Read(root, host.Time) : null;
        var started = fleet is not null && fleet.RunId is not null;
        return outcome is not null
            ? new TeamSquadStatus(issue, wave, outcome.Status, outcome.Reason, outcome.SquadRoot, outcome.FleetRun, outcome.Iterations, outcome.CostUsd)
            : started
                ? new TeamSquadStatus(issue, wave, fleet!.State, fleet.Why, root, fleet.RunId, fleet.Iteration, fleet.Spent)
                : refused is not null
                    ? new TeamSquadStatus(issue, wave, SquadStatus.NotStarted, refused, null, null, 0, 0m)
                    : new TeamSquadStatus(issue, wave, "waiting", null, null, null, 0, 0m);
    }

    /// <summary>The run's outcomes, once it wrote them (team-run.json); none before.</summary>
    private static Dictionary<int, SquadOutcome> Outcomes(string runDir)
    {
        var file = Path.Combine(runDir, TeamRunner.ResultFile);
        try
        {
            return File.Exists(file) && JsonSerializer.Deserialize(File.ReadAllText(file), TeamRunJsonContext.Default.TeamRunResult) is { } result
                ? result.Squads.ToDictionary(s => s.Issue)
                : [];
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return [];
        }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(TeamStatus))]
public sealed partial class TeamStatusJsonContext : JsonSerializerContext;
