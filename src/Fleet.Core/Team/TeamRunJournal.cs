using System.Globalization;
using Fleet.State;

namespace Fleet.Team;

/// <summary>
/// A team run's own journal: the fleet journal format (<see cref="Journal"/>) in the run's folder, so the run folder is
/// a root <c>fleet ls</c> and <c>fleet status</c> read like any fleet's. Each step that acts outside this process is
/// journaled before it acts and after it is done (a squad's start, the retro's post), so a team orchestrator killed at
/// any point and resumed checks what the step left before doing it again.
/// </summary>
public sealed class TeamRunJournal(string runDir, TimeProvider time)
{
    public const string FleetType = "team";
    public const string SquadStarting = "squad_starting";
    public const string SquadStarted = "squad_started";
    public const string RetroPosting = "retro_posting";
    public const string RetroPosted = "retro_posted";

    private readonly Journal _journal = new(new FleetLayout(runDir).JournalFile, time);

    public FleetLayout Layout { get; } = new(runDir);

    /// <summary>The name the run has in <c>fleet ls</c>.</summary>
    public static string FleetName(string run) => "team-" + run;

    public IReadOnlyList<JournalEntry> Entries() => Journal.Read(Layout.JournalFile);

    /// <summary>Journals the run's start once: a resumed orchestrator finds it there.</summary>
    public async Task BeginAsync(string run, bool rehearse, string? arm, CancellationToken cancellationToken)
    {
        if (Entries().Any(e => e.Type == JournalTypes.RunStarted))
        {
            return;
        }

        await _journal.AppendAsync(new JournalEntry
        {
            Type = JournalTypes.RunStarted, Run = run, Fleet = FleetName(run), FleetType = FleetType, SpawnMode = "team", Rehearsal = rehearse ? "yes" : null, Arm = arm,
        }, cancellationToken);
    }

    /// <summary>The fleet run a squad was started with, when its start was journaled as done.</summary>
    public string? StartedSquad(int issue) =>
        Entries().LastOrDefault(e => e.Type == SquadStarted && e.Worker == Squad(issue))?.Reason;

    /// <summary>True when a squad's start was begun (journaled before the launch), whether or not it was journaled as done.</summary>
    public bool SquadStartBegun(int issue) => Entries().Any(e => e.Type == SquadStarting && e.Worker == Squad(issue));

    /// <summary>
    /// The intent to start a squad, journaled once: a start cut short before the squad's fleet began a run is taken up
    /// again by a resumed orchestrator under the intent it already journaled.
    /// </summary>
    public async Task SquadStartingAsync(string run, int issue, CancellationToken cancellationToken)
    {
        if (!SquadStartBegun(issue))
        {
            await _journal.AppendAsync(new JournalEntry { Type = SquadStarting, Run = run, Worker = Squad(issue) }, cancellationToken);
        }
    }

    public Task SquadStartedAsync(string run, int issue, string fleetRun, CancellationToken cancellationToken) =>
        _journal.AppendAsync(new JournalEntry { Type = SquadStarted, Run = run, Worker = Squad(issue), Reason = fleetRun }, cancellationToken);

    /// <summary>Why the team's cost cap kept a squad from starting, when it did (journaled once; a resume keeps to it).</summary>
    public string? CostCapRefusal(int issue) =>
        Entries().LastOrDefault(e => e.Type == JournalTypes.CostCapReached && e.Worker == Squad(issue))?.Reason;

    public Task CostCapRefusedAsync(string run, int issue, decimal committed, string reason, CancellationToken cancellationToken) =>
        _journal.AppendAsync(new JournalEntry { Type = JournalTypes.CostCapReached, Run = run, Worker = Squad(issue), CostUsd = committed, Reason = reason }, cancellationToken);

    /// <summary>True when the retro's post was begun (journaled before the forge call) and not journaled as done.</summary>
    public bool RetroPostBegun() => Entries().Any(e => e.Type == RetroPosting) && RetroUrl() is null;

    public string? RetroUrl() => Entries().LastOrDefault(e => e.Type == RetroPosted)?.Reason;

    public Task RetroPostingAsync(string run, CancellationToken cancellationToken) =>
        _journal.AppendAsync(new JournalEntry { Type = RetroPosting, Run = run }, cancellationToken);

    public Task RetroPostedAsync(string run, string url, CancellationToken cancellationToken) =>
        _journal.AppendAsync(new JournalEntry { Type = RetroPosted, Run = run, Reason = url }, cancellationToken);

    public async Task EndAsync(string run, int exitCode, string reason, CancellationToken cancellationToken)
    {
        if (Entries().Any(e => e.Type == JournalTypes.RunEnded))
        {
            return;
        }

        var outcome = exitCode == Fleet.ExitCodes.Success ? "success" : exitCode == Fleet.ExitCodes.NeedsPerson ? "needs a person" : "failed";
        await _journal.AppendAsync(new JournalEntry { Type = JournalTypes.RunEnded, Run = run, Outcome = outcome, Reason = reason, ExitCode = exitCode }, cancellationToken);
    }

    private static string Squad(int issue) => string.Create(CultureInfo.InvariantCulture, $"issue-{issue}");
}
