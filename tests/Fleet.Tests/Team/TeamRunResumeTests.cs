using Fleet.Forge;
using Fleet.Orchestration;
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
    public async Task A_squad_whose_start_was_cut_short_before_its_launch_is_started_once_under_the_intent_already_journaled()
    {
        // Killed between the journal's "starting" and the squad's launch: no run anywhere, the intent in the journal.
        var journal = new TeamRunJournal(RunDir, TimeProvider.System);
        await journal.SquadStartingAsync(Run, 1, Ct);
        var launcher = new ApprovingLauncher();

        var result = await new TeamRunner(Settings([Issue(1), Issue(2)]), Forge, launcher, TimeProvider.System).RunAsync(Run, Ct).SlowTimeout();

        launcher.Launched.ShouldBe([1, 2]);
        journal.Entries().Count(e => e.Type == TeamRunJournal.SquadStarting && e.Worker == "issue-1").ShouldBe(1);
        journal.StartedSquad(1).ShouldBe("r-1");
        result.ExitCode.ShouldBe(ExitCodes.Success);
    }

    /// <summary>
    /// Squads that stay running until the test ends them: each launch samples how many squads of the run are running (a
    /// run begun in its journal and not ended), so the bound is seen from the squads' own state, never from timing. Each
    /// holds its fleet's lock as its orchestrator would until its end is journaled: a squad with no lock and no end is
    /// one whose orchestrator stopped, and the runner rightly gives it up after a few seconds.
    /// </summary>
    private sealed class HeldLauncher(string runDir, decimal spendEach = 0m) : ISquadLauncher
    {
        private readonly Dictionary<string, FleetLock> _locks = [];

        public List<int> Launched { get; } = [];

        public List<int> RunningAtLaunch { get; } = [];

        public async Task<string> LaunchAsync(string squadRoot, CancellationToken cancellationToken)
        {
            RunningAtLaunch.Add(Running(runDir).Count + 1);
            lock (_locks)
            {
                _locks[squadRoot] = FleetLock.TryAcquire(new FleetLayout(squadRoot)) ?? throw new InvalidOperationException($"{squadRoot}: its lock is held already");
            }

            var issue = SquadDefinition.Load(squadRoot).Issue;
            Launched.Add(issue);
            var journal = new Journal(new FleetLayout(squadRoot).JournalFile, TimeProvider.System);
            Directory.CreateDirectory(Path.Combine(squadRoot, ".fleet"));
            await journal.AppendAsync(new JournalEntry { Type = JournalTypes.RunStarted, Run = $"r-{issue}", Fleet = $"issue-{issue}", FleetType = "iterative" }, cancellationToken);
            await journal.AppendAsync(new JournalEntry { Type = JournalTypes.WorkerSpawning, Worker = "developer", Iteration = 1 }, cancellationToken);
            await journal.AppendAsync(new JournalEntry { Type = JournalTypes.WorkerEnded, Worker = "developer", Iteration = 1, Outcome = "succeeded", CostUsd = spendEach }, cancellationToken);
            return $"r-{issue}";
        }

        /// <summary>What the squad's orchestrator does as it exits after journaling its end.</summary>
        public void Exit(string squadRoot)
        {
            lock (_locks)
            {
                if (_locks.Remove(squadRoot, out var held))
                {
                    held.Dispose();
                }
            }
        }

        /// <summary>The squads whose run has begun and not ended.</summary>
        public static List<string> Running(string runDir) =>
            Directory.Exists(runDir)
                ? [.. Directory.EnumerateDirectories(runDir, "issue-*").Where(d => FleetRuns.Load(new FleetLayout(d)) is { RunId: not null, Ended: null })]
                : [];
    }

    /// <summary>
    /// Ends one running squad at a time, until the run is over: only once <paramref name="full"/> squads run or every
    /// squad has started, so a runner that kept to no bound would have had the chance to start more.
    /// </summary>
    private static async Task EndSquadsAsync(string runDir, Task run, HeldLauncher launcher, int full, int squads)
    {
        while (!run.IsCompleted)
        {
            var running = HeldLauncher.Running(runDir);
            foreach (var squad in running.Count >= full || launcher.Launched.Count == squads ? running.Take(1) : [])
            {
                var journal = new Journal(new FleetLayout(squad).JournalFile, TimeProvider.System);
                await journal.AppendAsync(new JournalEntry { Type = JournalTypes.RunEnded, Outcome = "success", Reason = "1 lgtm verdict", ExitCode = ExitCodes.Success }, Ct);
                launcher.Exit(squad);
            }

            await Task.WhenAny(run, Task.Delay(50, Ct));
        }
    }

    [Fact]
    public async Task A_wave_runs_at_most_max_squads_at_once_and_the_others_wait_their_turn()
    {
        await AddIssuesAsync(2, i => $"Do {i}.");
        var launcher = new HeldLauncher(RunDir);
        var settings = Settings([Issue(1), Issue(2), Issue(3), Issue(4), Issue(5)]) with { MaxSquads = 2 };

        var run = new TeamRunner(settings, Forge, launcher, TimeProvider.System).RunAsync(Run, Ct);
        await EndSquadsAsync(RunDir, run, launcher, full: 2, squads: 5).WaitAsync(TestTimeouts.Slow, Ct);
        var result = await run.SlowTimeout();

        launcher.Launched.ShouldBe([1, 2, 3, 4, 5]);
        launcher.RunningAtLaunch.Max().ShouldBe(2, "two at once, never more: " + string.Join(",", launcher.RunningAtLaunch));
        result.Squads.Select(s => s.Status).ShouldAllBe(s => s == "approved");
    }

    [Fact]
    public async Task The_team_cost_cap_gives_each_squad_a_share_and_refuses_a_squad_once_the_cap_is_spent()
    {
        var launcher = new HeldLauncher(RunDir, spendEach: 0.6m);
        var settings = Settings([Issue(1), Issue(2), Issue(3)]) with { MaxSquads = 1, TeamCostCapUsd = 1.0m };

        var run = new TeamRunner(settings, Forge, launcher, TimeProvider.System).RunAsync(Run, Ct);
        await EndSquadsAsync(RunDir, run, launcher, full: 1, squads: 2).WaitAsync(TestTimeouts.Slow, Ct);
        var result = await run.SlowTimeout();

        launcher.Launched.ShouldBe([1, 2], "#3 would start with $1.20 of $1.00 spent");
        SquadDefinition.Load(SquadRoot(1)).CostCapUsd.ShouldBe(1.0m, "alone, #1 may spend all of it; its fleet checks that before each spawn");
        SquadDefinition.Load(SquadRoot(2)).CostCapUsd.ShouldBe(0.4m, "what #1 left");
        var refused = result.Squads.Single(s => s.Issue == 3);
        refused.Status.ShouldBe("not started");
        refused.Reason.ShouldBe("the team's cost cap is reached: $1.20 of $1.00 spent or held by running squads");
        var journal = new TeamRunJournal(RunDir, TimeProvider.System);
        journal.CostCapRefusal(3).ShouldBe(refused.Reason);
        journal.Entries().Count(e => e.Type == JournalTypes.CostCapReached).ShouldBe(1);

        // A resume keeps to the refusal: #3 is not started after all.
        var again = await new TeamRunner(settings, Forge, launcher, TimeProvider.System).RunAsync(Run, Ct).SlowTimeout();
        launcher.Launched.ShouldBe([1, 2]);
        again.Squads.Single(s => s.Issue == 3).Reason.ShouldBe(refused.Reason);
        journal.Entries().Count(e => e.Type == JournalTypes.CostCapReached).ShouldBe(1);
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
