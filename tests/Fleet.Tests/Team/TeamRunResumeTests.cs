using Fleet.Forge;
using Fleet.State;
using Fleet.Team;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Team;

/// <summary>
/// A team run taken up again after its orchestrator stopped (real git, real worktrees, a real local forge; squads whose
/// "orchestrator" journals a scripted end): squads its journal or their own journals say were started are followed,
/// never started again, and a retro posted before the stop is not posted again.
/// </summary>
public sealed class TeamRunResumeTests : LocalForgeRepo
{
    private const string Run = "t-20261207-170000-abcd";

    protected override Task SeedAsync() => AddIssuesAsync(3, i => $"Do {i}.");

    /// <summary>Ends each squad's run as approved, at once, in the squad's own journal.</summary>
    private sealed class ApprovingLauncher : ISquadLauncher
    {
        public List<int> Launched { get; } = [];

        public List<string> Continued { get; } = [];

        public async Task<string> LaunchAsync(string squadRoot, CancellationToken cancellationToken)
        {
            var issue = SquadDefinition.Load(squadRoot).Issue;
            Launched.Add(issue);
            return await EndApprovedAsync(squadRoot, issue, cancellationToken);
        }

        public Task ContinueAsync(string squadRoot, CancellationToken cancellationToken)
        {
            Continued.Add(Path.GetFileName(squadRoot));
            return Task.CompletedTask;
        }
    }

    private static async Task<string> EndApprovedAsync(string squadRoot, int issue, CancellationToken cancellationToken)
    {
        var journal = new Journal(new FleetLayout(squadRoot).JournalFile, TimeProvider.System);
        Directory.CreateDirectory(Path.Combine(squadRoot, ".fleet"));
        await journal.AppendAsync(new JournalEntry { Type = JournalTypes.RunStarted, Run = $"r-{issue}", Fleet = $"issue-{issue}", FleetType = "iterative" }, cancellationToken);
        await journal.AppendAsync(new JournalEntry { Type = JournalTypes.RunEnded, Outcome = "success", Reason = "1 lgtm verdict", ExitCode = ExitCodes.Success }, cancellationToken);
        return $"r-{issue}";
    }

    private TeamRunSettings Settings(params IReadOnlyList<RunIssue>[] waves) => new(
        Repo.Path, "main", new ForgeSettingsRecord("local", ForgeDir), waves,
        new RoleSettings("claude"), new RoleSettings("codex"), new RoleSettings("claude"), 3, 1, null, ["fleet"], null, null);

    private static RunIssue Issue(int n) => new(n, $"Issue {n}", $"issues/{n}.json", [], null);

    private string RunDir => new TeamLayout(Repo.Path).RunDir(Run);

    private string SquadRoot(int issue) => new TeamLayout(Repo.Path).SquadRoot(Run, issue);

    [Fact]
    public async Task A_resumed_team_run_starts_only_the_squads_its_journal_does_not_say_were_started()
    {
        await EndApprovedAsync(SquadRoot(1), 1, Ct);
        await new TeamRunJournal(RunDir, TimeProvider.System).SquadStartedAsync(Run, 1, "r-1", Ct);
        var launcher = new ApprovingLauncher();

        var result = await new TeamRunner(Settings([Issue(1), Issue(2)], [Issue(3)]), Forge, launcher, TimeProvider.System).RunAsync(Run, Ct).SlowTimeout();

        launcher.Launched.ShouldBe([2, 3]);
        launcher.Continued.ShouldBe(["issue-1"]);
        result.Squads.Select(s => (s.Issue, s.Status)).ShouldBe([(1, "approved"), (2, "approved"), (3, "approved")]);
        new TeamRunJournal(RunDir, TimeProvider.System).Entries().Count(e => e.Type == TeamRunJournal.SquadStarted).ShouldBe(3);
    }

    [Fact]
    public async Task A_squad_whose_run_began_before_its_start_was_journaled_is_not_started_again()
    {
        // Killed between the squad's launch and the journal's "started": the squad's own journal has its run.
        var journal = new TeamRunJournal(RunDir, TimeProvider.System);
        await journal.SquadStartingAsync(Run, 1, Ct);
        await EndApprovedAsync(SquadRoot(1), 1, Ct);
        var launcher = new ApprovingLauncher();

        var result = await new TeamRunner(Settings([Issue(1), Issue(2)]), Forge, launcher, TimeProvider.System).RunAsync(Run, Ct).SlowTimeout();

        launcher.Launched.ShouldBe([2]);
        journal.StartedSquad(1).ShouldBe("r-1");
        result.ExitCode.ShouldBe(ExitCodes.Success);
    }

    [Fact]
    public async Task A_retro_posted_before_the_orchestrator_was_stopped_is_not_posted_again()
    {
        var journal = new TeamRunJournal(RunDir, TimeProvider.System);
        await journal.RetroPostingAsync(Run, Ct);
        var posted = await Forge.CreateIssueAsync($"Fleet retro: team run {Run}", "the retro", [TeamLayout.RetroLabel], Ct).DefaultTimeout();
        var launcher = new ApprovingLauncher();

        var result = await new TeamRunner(Settings([Issue(1)]), Forge, launcher, TimeProvider.System).RunAsync(Run, Ct).SlowTimeout();
        var again = await new TeamRunner(Settings([Issue(1)]), Forge, launcher, TimeProvider.System).RunAsync(Run, Ct).SlowTimeout();

        result.RetroUrl.ShouldBe(posted.Url);
        again.RetroUrl.ShouldBe(posted.Url);
        launcher.Launched.ShouldBe([1], "the second pass follows the squad the first one started");
        var retros = await Forge.ListIssuesAsync(new IssueQuery(Label: TeamLayout.RetroLabel, State: IssueState.All), Ct).DefaultTimeout();
        retros.Count(i => i.Title == $"Fleet retro: team run {Run}").ShouldBe(1);
        journal.RetroUrl().ShouldBe(posted.Url);
    }
}
