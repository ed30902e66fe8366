using System.Text.Json;
using Fleet.Forge;
using Fleet.Orchestration;
using Fleet.Processes;
using Fleet.State;
using Fleet.Team;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Rehearsal;

namespace Fleet.Tests.Team;

/// <summary>
/// An unattended team run on the local forge with the real claude and codex in rehearsal: its orchestrator is
/// SIGKILLed during wave 1 and again during a squad's publish, and <c>fleet team resume</c> takes it up each time.
/// Every squad starts once and every post (SDET report, review, engagement log, retro) is made once.
/// </summary>
[Collection(TeamEndToEnd.Collection)]
public sealed class TeamRunKillResumeTests : LocalForgeRepo
{
    private string Home => Repo.Temp.Combine("fleet-home");

    private Task<(int ExitCode, TestConsole Console)> FleetAsync(params string[] args) =>
        TestConsole.RunWithinAsync(TestTimeouts.TeamRun, Repo.Path, new Dictionary<string, string> { ["FLEET_HOME"] = Home }, args);

    [Fact]
    public async Task A_team_orchestrator_killed_in_wave_1_and_during_a_publish_and_resumed_starts_each_squad_once_and_posts_each_once()
    {
        AgentCli.RequireOrSkip("claude");
        AgentCli.RequireOrSkip("codex");
        await AddIssuesAsync(3, i => $"Do thing {i}.");
        var footprints = Repo.Temp.Write("footprints.json", """
            {"footprints":[
              {"issue":1,"files":["src/a.txt"],"folders":[],"migrations":[],"needs":[],"why":""},
              {"issue":2,"files":["src/b.txt"],"folders":[],"migrations":[],"needs":[],"why":""},
              {"issue":3,"files":["src/c.txt"],"folders":[],"migrations":[],"needs":[1],"why":"#3: once #1 is in"}
            ]}
            """);
        var (planCode, plan) = await FleetAsync("team", "plan", "--local-forge", ForgeDir, "--footprints", footprints);
        planCode.ShouldBe(0, plan.Stderr);

        var (runCode, started) = await FleetAsync("team", "run", "--rehearse", "--no-tmux", "--json").SlowTimeout();
        runCode.ShouldBe(0, started.Stderr);
        string runDir;
        using (var doc = JsonDocument.Parse(started.Stdout))
        {
            runDir = doc.RootElement.GetProperty("run_dir").GetString()!;
        }

        // fleet ls lists the team run.
        var (lsCode, ls) = await FleetAsync("ls").DefaultTimeout();
        lsCode.ShouldBe(0, ls.Stderr);
        ls.Stdout.ShouldContain("team-" + Path.GetFileName(runDir));

        // Kill 1: in wave 1, once a squad has started.
        await WaitForAsync(runDir, () => TeamJournal(runDir).Any(e => e.Type == TeamRunJournal.SquadStarted), "a squad of wave 1 to start");
        await KillOrchestratorAsync(runDir);
        var (resumeCode, resume) = await FleetAsync("team", "resume", runDir).SlowTimeout();
        resumeCode.ShouldBe(0, resume.Stderr);

        // Kill 2: while a squad's publish worker runs.
        await WaitForAsync(runDir, () => Squads(runDir).Any(Publishing), "a squad's publish worker to run");
        await KillOrchestratorAsync(runDir);
        var (statusCode, status) = await FleetAsync("team", "status", runDir, "--json").DefaultTimeout();
        statusCode.ShouldBe(0, status.Stderr);
        using (var doc = JsonDocument.Parse(status.Stdout))
        {
            doc.RootElement.GetProperty("state").GetString().ShouldBe("orchestrator not running");
        }

        var (endCode, end) = await FleetAsync("team", "resume", runDir, "--wait").WaitAsync(TestTimeouts.TeamRun, Ct);
        endCode.ShouldBe(0, end.Stderr);

        var result = JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(runDir, TeamRunner.ResultFile)), TeamRunJsonContext.Default.TeamRunResult)!;
        result.Squads.Select(s => (s.Issue, s.Status)).ShouldBe([(1, "approved"), (2, "approved"), (3, "approved")]);
        foreach (var n in new[] { 1, 2, 3 })
        {
            var root = Path.Combine(runDir, $"issue-{n}");
            Journal.Read(new FleetLayout(root).JournalFile).Count(e => e.Type == JournalTypes.RunStarted).ShouldBe(1, $"#{n}'s squad started once");
            TeamJournal(runDir).Count(e => e.Type == TeamRunJournal.SquadStarting && e.Worker == $"issue-{n}").ShouldBe(1, $"#{n}'s start was begun once");

            var pr = result.Squads.Single(s => s.Issue == n).PullRequest!.Value;
            var record = File.ReadAllText(Path.Combine(ForgeDir, "pulls", $"{pr}.json"));
            Occurrences(record, "**SDET report, iteration 1**").ShouldBe(1, $"#{n}: one SDET report");
            Occurrences(record, "Engagement log").ShouldBe(1, $"#{n}: one engagement log");
            (await Forge.GetPullRequestAsync(pr, Ct).DefaultTimeout()).Reviews.Count.ShouldBe(1, $"#{n}: one review");
        }

        var retros = await Forge.ListIssuesAsync(new IssueQuery(Label: TeamLayout.RetroLabel, State: IssueState.All), Ct).DefaultTimeout();
        retros.Count.ShouldBe(1);
    }

    private static List<JournalEntry> TeamJournal(string runDir) => [.. Journal.Read(new FleetLayout(runDir).JournalFile)];

    private static IEnumerable<string> Squads(string runDir) =>
        Directory.Exists(runDir) ? Directory.EnumerateDirectories(runDir, "issue-*") : [];

    private static bool Publishing(string squad)
    {
        var entries = Journal.Read(new FleetLayout(squad).JournalFile);
        return entries.Any(e => e.Type == JournalTypes.WorkerSpawning && e.Worker == SquadFleet.Publish)
            && !entries.Any(e => e.Type == JournalTypes.WorkerEnded && e.Worker == SquadFleet.Publish);
    }

    private static int Occurrences(string text, string what) => text.Split(what).Length - 1;

    private static async Task WaitForAsync(string runDir, Func<bool> condition, string what)
    {
        var deadline = DateTimeOffset.UtcNow + TestTimeouts.Slow + TestTimeouts.Slow;
        while (!condition())
        {
            DateTimeOffset.UtcNow.ShouldBeLessThan(deadline, $"waited in vain for {what}; the team run's log:\n{Log(runDir)}");
            await Task.Delay(50, Ct);
        }
    }

    private static async Task KillOrchestratorAsync(string runDir)
    {
        var info = OrchestratorInfo.Running(new FleetLayout(runDir)).ShouldNotBeNull($"the team orchestrator is not running; its log:\n{Log(runDir)}");
        info.Identity.Signal(UnixSignal.SIGKILL);
        var deadline = DateTimeOffset.UtcNow + TestTimeouts.Default;
        while (info.Identity.IsAlive)
        {
            DateTimeOffset.UtcNow.ShouldBeLessThan(deadline, "the team orchestrator outlived SIGKILL");
            await Task.Delay(20, Ct);
        }
    }

    private static string Log(string runDir)
    {
        var log = Path.Combine(new FleetLayout(runDir).StateDir, FleetRuns.LaunchLog);
        return File.Exists(log) ? File.ReadAllText(log) : "(no log)";
    }
}
