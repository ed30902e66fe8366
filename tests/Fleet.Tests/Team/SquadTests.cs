using Fleet.Team;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Worktrees;
using Fleet.Validation;
using Fleet.Worktrees;

namespace Fleet.Tests.Team;

/// <summary>A squad's fleet and its publish worker, with real git and a local forge (no agents).</summary>
public sealed class SquadTests : LocalForgeRepo
{
    protected override async Task SeedAsync() =>
        await Forge.AddIssueAsync("Add a health endpoint", "GET /health answers 200.", cancellationToken: Ct).DefaultTimeout();

    private async Task<(string Root, SquadDefinition Squad)> SquadAsync()
    {
        var layout = new TeamLayout(Repo.Path);
        var worktree = await new SquadWorktree().EnsureAsync(layout, 1, "main", Ct).DefaultTimeout();
        var squad = new SquadDefinition("t-1", 1, "Add a health endpoint", "issues/1.json", "GET /health answers 200.", Repo.Path, "main", "fleet/issue-1", worktree,
            new ForgeSettingsRecord("local", Repo.Temp.Combine("forge")), new RoleSettings("claude", "sonnet"), new RoleSettings("codex"), new RoleSettings("claude"), 3, 1, 2.5m);
        var root = layout.SquadRoot("t-1", 1);
        SquadFleet.Write(root, squad, ["fleet"], rehearsalScript: null);
        return (root, squad);
    }

    [Fact]
    public async Task A_squad_is_a_valid_iterative_fleet_whose_developer_works_in_the_issue_worktree()
    {
        var (root, squad) = await SquadAsync();

        var result = FleetValidator.ValidatePath(root);
        result.Errors.ShouldBeEmpty();
        var fleet = result.Fleet!;
        fleet.Workers.Select(w => w.Id).ShouldBe(["developer", "publish", "sdet", "reviewer"]);
        fleet.Worker("developer").Workdir.ShouldBe(squad.Worktree);
        fleet.Worker("developer").Model.ShouldBe("sonnet");
        fleet.Worker("reviewer").Provider.ShouldBe(Fleet.Spec.Provider.Codex);
        fleet.Worker("publish").Command.ShouldBe(["fleet", "team", "publish", "{root}", "--iteration", "{iteration}"]);
        fleet.StopRules.MaxIterations.ShouldBe(3);
        fleet.StopRules.CostCapUsd.ShouldBe(2.5m);
        fleet.Gates.Allow.ShouldContain("Bash(git commit:*)");
        File.ReadAllText(Path.Combine(root, "workers", "reviewer", "prompt.md")).ShouldContain($"git -C {squad.Worktree} diff main...fleet/issue-1");
        (await Repo.GitAsync("status", "--porcelain")).ShouldBeEmpty("squads and worktrees are excluded from git status");
    }

    [Fact]
    public async Task Publish_commits_what_the_developer_left_and_opens_one_pull_request_that_later_iterations_update()
    {
        var (root, squad) = await SquadAsync();
        File.WriteAllText(Path.Combine(squad.Worktree, "health.cs"), "// left uncommitted\n");

        var first = await SquadPublisher.PublishAsync(root, 1, Forge, GitCli.Default, Ct).DefaultTimeout();

        first.Created.ShouldBeTrue();
        first.Commits.ShouldBe(1);
        (await Repo.GitAsync("log", "-1", "--format=%s", "fleet/issue-1")).ShouldBe("fleet: the developer's uncommitted work (issue #1, iteration 1)");
        var pr = await Forge.GetPullRequestAsync(first.PullRequest, Ct).DefaultTimeout();
        pr.Body.ShouldStartWith("Closes #1\n");
        pr.HeadBranch.ShouldBe("fleet/issue-1");

        File.WriteAllText(Path.Combine(squad.Worktree, "health.cs"), "// fixed\n");
        await TestRepo.CommitInAsync(squad.Worktree, "fix");
        var second = await SquadPublisher.PublishAsync(root, 2, Forge, GitCli.Default, Ct).DefaultTimeout();
        second.Created.ShouldBeFalse();
        second.PullRequest.ShouldBe(first.PullRequest);
        second.Head.ShouldBe(await Repo.GitAsync("rev-parse", "fleet/issue-1"));
        (await Forge.ListOpenPullRequestsAsync(Ct).DefaultTimeout()).Count.ShouldBe(1);
    }

    [Fact]
    public async Task Publish_fails_when_the_developer_made_no_change()
    {
        var (root, _) = await SquadAsync();

        var error = await Should.ThrowAsync<TeamException>(() => SquadPublisher.PublishAsync(root, 1, Forge, GitCli.Default, Ct).DefaultTimeout());

        error.Message.ShouldBe("the developer made no commit on fleet/issue-1 (nothing ahead of main): nothing to publish for issue #1");
        (await Forge.ListOpenPullRequestsAsync(Ct).DefaultTimeout()).ShouldBeEmpty();
    }

    [Fact]
    public async Task Team_plan_stops_at_step_0_with_the_reason_and_writes_nothing()
    {
        var forge = Repo.Temp.Combine("forge");
        Repo.Write("dirty.txt", "x\n");
        var (code, console) = await TestConsole.RunAsync(Repo.Path, new Dictionary<string, string> { ["FLEET_HOME"] = Repo.Temp.Combine("home") }, "team", "plan", "--local-forge", forge);
        code.ShouldBe(2);
        console.Stderr.ShouldContain("step 0: the working tree of");
        console.Stderr.ShouldContain("is not clean (?? dirty.txt): commit or stash first; nothing was planned");
        File.Delete(Path.Combine(Repo.Path, "dirty.txt"));

        (code, console) = await TestConsole.RunAsync(Repo.Path, new Dictionary<string, string> { ["FLEET_HOME"] = Repo.Temp.Combine("home") }, "team", "plan", "--local-forge", forge, "--base", "develop");
        code.ShouldBe(2);
        console.Stderr.ShouldContain("step 0: the base branch develop does not exist in");

        (code, console) = await TestConsole.RunAsync(Repo.Path, new Dictionary<string, string> { ["FLEET_HOME"] = Repo.Temp.Combine("home") }, "team", "plan", "--local-forge", Repo.Temp.Combine("nowhere"));
        code.ShouldBe(2);
        console.Stderr.ShouldContain("step 0: no local forge at");

        File.Exists(new TeamLayout(Repo.Path).DefaultPlanFile).ShouldBeFalse();
        console.Stderr.ShouldNotContain(" at Fleet.");
    }
}
