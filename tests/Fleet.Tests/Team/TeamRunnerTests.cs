using Fleet.Forge;
using Fleet.State;
using Fleet.Team;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Team;

/// <summary>
/// The team runner's own rules, with squads whose "orchestrator" is a launcher that journals a scripted end (real git,
/// real worktrees, a real local forge; no agents): dependents of an issue that was not approved are skipped, and the
/// exit code says whether a person is needed.
/// </summary>
public sealed class TeamRunnerTests : LocalForgeRepo
{
    protected override Task SeedAsync() => AddIssuesAsync(4, i => $"Do {i}.");

    /// <summary>Ends each squad's run the way its issue's script says, at once, in the squad's own journal.</summary>
    private sealed class ScriptedLauncher(IReadOnlyDictionary<int, string> ends) : ISquadLauncher
    {
        public List<int> Launched { get; } = [];

        public async Task<string> LaunchAsync(string squadRoot, CancellationToken cancellationToken)
        {
            var issue = SquadDefinition.Load(squadRoot).Issue;
            Launched.Add(issue);
            var journal = new Journal(new FleetLayout(squadRoot).JournalFile, TimeProvider.System);
            Directory.CreateDirectory(Path.Combine(squadRoot, ".fleet"));
            await journal.AppendAsync(new JournalEntry { Type = JournalTypes.RunStarted, Run = $"r-{issue}", Fleet = $"issue-{issue}", FleetType = "iterative" }, cancellationToken);
            var end = ends[issue];
            await journal.AppendAsync(end switch
            {
                "escalated" => new JournalEntry { Type = JournalTypes.Paused, Outcome = "escalated", Reason = "the reviewer asks a person" },
                "failed" => new JournalEntry { Type = JournalTypes.RunEnded, Outcome = "failed", Reason = "max iterations without approval", ExitCode = ExitCodes.Failed },
                _ => new JournalEntry { Type = JournalTypes.RunEnded, Outcome = "success", Reason = "1 lgtm verdict", ExitCode = ExitCodes.Success },
            }, cancellationToken);
            return $"r-{issue}";
        }
    }

    private TeamRunSettings Settings(params IReadOnlyList<RunIssue>[] waves) => new(
        Repo.Path, "main", new ForgeSettingsRecord("local", Repo.Temp.Combine("forge")), waves,
        new RoleSettings("claude"), new RoleSettings("codex"), new RoleSettings("claude"), 3, 1, null, ["fleet"], null, null);

    private static RunIssue Issue(int n, params int[] needs) => new(n, $"Issue {n}", $"issues/{n}.json", needs, null);

    [Fact]
    public async Task An_issue_whose_needed_issue_was_not_approved_is_skipped_and_the_run_fails()
    {
        var launcher = new ScriptedLauncher(new Dictionary<int, string> { [1] = "failed", [2] = "approved", [4] = "approved" });
        var result = await new TeamRunner(Settings([Issue(1), Issue(2)], [Issue(3, 1), Issue(4, 2)]), Forge, launcher, TimeProvider.System).RunAsync(Ct).SlowTimeout();

        launcher.Launched.ShouldBe([1, 2, 4]);
        result.Squads.Select(s => (s.Issue, s.Status)).ShouldBe([(1, "not approved"), (2, "approved"), (3, "skipped"), (4, "approved")]);
        result.Squads.Single(s => s.Issue == 3).Reason.ShouldBe("needs #1, which ended not approved");
        result.ExitCode.ShouldBe(ExitCodes.Failed);
        File.ReadAllText(result.RetroFile).ShouldContain("| #3 | skipped | 0 | - | 0 | $0.00 | - |");
    }

    [Fact]
    public async Task An_escalated_squad_makes_the_run_wait_for_a_person()
    {
        var launcher = new ScriptedLauncher(new Dictionary<int, string> { [1] = "escalated", [2] = "approved" });
        var result = await new TeamRunner(Settings([Issue(1), Issue(2)]), Forge, launcher, TimeProvider.System).RunAsync(Ct).SlowTimeout();

        result.Squads.Single(s => s.Issue == 1).Status.ShouldBe("escalated");
        result.Squads.Single(s => s.Issue == 1).Reason.ShouldStartWith("the reviewer asks a person (a person decides: fleet resume ");
        result.ExitCode.ShouldBe(ExitCodes.NeedsPerson);
    }

    [Fact]
    public async Task An_issue_someone_opened_a_pull_request_for_after_the_plan_is_not_started()
    {
        await TheirBranchAsync("someone/else");
        var pr = await Forge.CreatePullRequestAsync(new NewPullRequest("someone/else", "main", "Theirs", "Fixes #2\n"), Ct).DefaultTimeout();
        var launcher = new ScriptedLauncher(new Dictionary<int, string> { [1] = "approved" });

        var result = await new TeamRunner(Settings([Issue(1), Issue(2)]), Forge, launcher, TimeProvider.System).RunAsync(Ct).SlowTimeout();

        launcher.Launched.ShouldBe([1]);
        result.Squads.Single(s => s.Issue == 2).Reason.ShouldBe($"open pull request #{pr.Number} closes it ({pr.Url})");
        result.ExitCode.ShouldBe(ExitCodes.Success);
    }
}
