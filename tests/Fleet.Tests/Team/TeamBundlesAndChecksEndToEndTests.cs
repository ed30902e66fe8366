using System.Text.Json;
using Fleet.Forge;
using Fleet.State;
using Fleet.Team;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Rehearsal;

namespace Fleet.Tests.Team;

/// <summary>
/// Bundles, waves on approved work with --merge, and CI feedback, end to end on a local forge with the real claude and
/// codex CLIs against the rehearsal endpoint, real git and the real orchestrator per squad.
/// </summary>
[Collection(TeamEndToEnd.Collection)]
public sealed class TeamBundlesAndChecksEndToEndTests : LocalForgeRepo
{
    [Fact]
    public async Task Three_issues_on_one_file_become_one_bundle_one_pull_request_closing_all_three_and_one_verdict_trailer()
    {
        RequireClis();
        await AddIssuesAsync(4, i => $"Do thing {i}.");
        var footprints = Footprints((1, "src/a.txt", null), (2, "src/a.txt", null), (3, "src/a.txt", null), (4, "docs/d.md", null));

        var (planCode, plan) = await FleetAsync("team", "plan", "--local-forge", ForgeDir, "--footprints", footprints);
        planCode.ShouldBe(0, plan.Stderr);
        plan.Stdout.ShouldContain("#1, #2 and #3 are one bundle (one squad, one pull request): they change src/a.txt");
        var saved = TeamPlanFile.Load(Path.Combine(Repo.Path, ".fleet", "team", "plan.json"));
        saved.Waves.Select(w => string.Join(",", w.Issues)).ShouldBe(["1,2,3,4"]);

        var (runCode, run) = await FleetAsync("team", "run", "--rehearse", "--no-tmux", "--wait", "--json");
        runCode.ShouldBe(0, run.Stderr);
        var squads = Squads(run.Stdout);
        squads.Keys.Order().ShouldBe([1, 2, 3, 4]);
        squads.Values.ShouldAllBe(s => s.GetProperty("status").GetString() == "approved");
        squads[2].GetProperty("squad_root").GetString().ShouldBe(squads[1].GetProperty("squad_root").GetString(), "one squad for the bundle");

        var open = (await Forge.ListOpenPullRequestsAsync(Ct).DefaultTimeout()).Where(p => p.HeadBranch.StartsWith("fleet/", StringComparison.Ordinal)).ToList();
        open.Select(p => p.HeadBranch).Order().ShouldBe(["fleet/issue-1", "fleet/issue-4"]);
        var bundle = await Forge.GetPullRequestAsync(open.Single(p => p.HeadBranch == "fleet/issue-1").Number, Ct).DefaultTimeout();
        bundle.Body.ShouldStartWith("Closes #1\nCloses #2\nCloses #3\n");
        bundle.ClosingIssues.ShouldBe([1, 2, 3]);
        bundle.Body.Split('\n').Count(l => l.StartsWith(VerdictTrailer.Key, StringComparison.Ordinal)).ShouldBe(1);
        VerdictTrailer.Parse(bundle.Body)!.Verdict.ShouldBe("lgtm");
        var brief = await File.ReadAllTextAsync(Path.Combine(squads[1].GetProperty("squad_root").GetString()!, "iterations", "1", "developer.prompt.md"), Ct);
        brief.ShouldContain("# A bundle of 3 issues: #1, #2, #3");
        brief.ShouldContain("## Issue #3: Issue 3");
        brief.ShouldContain("Do thing 2.");

        var (mergeCode, merge) = await FleetAsync("team", "merge");
        mergeCode.ShouldBe(0, merge.Stderr + merge.Stdout);
        foreach (var n in new[] { 1, 2, 3 })
        {
            (await Forge.GetIssueAsync(n, Ct).DefaultTimeout()).State.ShouldBe(IssueState.Closed, $"#{n} is closed by the bundle's one merge");
        }
    }

    [Fact]
    public async Task With_merge_an_issue_that_needs_another_starts_from_the_base_with_the_needed_issues_approved_change_merged()
    {
        RequireClis();
        await AddIssuesAsync(2, i => $"Do thing {i}.");
        var footprints = Footprints((1, "src/a.txt", null), (2, "src/b.txt", 1));
        (await FleetAsync("team", "plan", "--local-forge", ForgeDir, "--footprints", footprints)).ExitCode.ShouldBe(0);

        var (runCode, run) = await FleetAsync("team", "run", "--rehearse", "--no-tmux", "--merge", "--wait", "--json");
        runCode.ShouldBe(0, run.Stderr);
        Squads(run.Stdout).Values.ShouldAllBe(s => s.GetProperty("status").GetString() == "approved");

        var pulls = (await Task.WhenAll(Directory.GetFiles(Path.Combine(ForgeDir, "pulls"), "*.json")
            .Select(f => Forge.GetPullRequestAsync(int.Parse(Path.GetFileNameWithoutExtension(f), System.Globalization.CultureInfo.InvariantCulture), Ct)))).ToDictionary(p => p.HeadBranch);
        pulls["fleet/issue-1"].State.ShouldBe("merged", StringCompareShould.IgnoreCase);
        pulls["fleet/issue-2"].BaseBranch.ShouldBe("main");
        (await Repo.GitAsync("rev-list", "--count", "fleet/issue-2..fleet/issue-1")).ShouldBe("0", "#2 started from main with #1's approved change merged");
        (await Repo.GitAsync("rev-list", "--count", "--no-merges", "fleet/issue-1..fleet/issue-2")).ShouldBe("1", "#2's branch has its own change on top of #1's");

        // The last wave's approved work is merged too: --merge leaves nothing approved unmerged.
        pulls["fleet/issue-2"].State.ShouldBe("merged", StringCompareShould.IgnoreCase);
        (await Repo.GitAsync("rev-list", "--count", "main..fleet/issue-2")).ShouldBe("0");
        (await Forge.GetIssueAsync(1, Ct).DefaultTimeout()).State.ShouldBe(IssueState.Closed);
    }

    [Fact]
    public async Task A_check_that_fails_at_the_first_publish_reaches_the_developers_next_brief_blocks_the_reviewers_lgtm_and_team_merge_refuses_a_red_head()
    {
        RequireClis();
        await AddIssuesAsync(1, i => $"Do thing {i}.");
        var footprints = Footprints((1, "src/a.txt", null));
        const string checks = "cat ./*issue-1.txt | grep -q 'iteration 2' || { echo 'FAIL: the change is not at iteration 2'; exit 1; }";
        (await FleetAsync("team", "plan", "--local-forge", ForgeDir, "--footprints", footprints, "--checks", checks)).ExitCode.ShouldBe(0);

        var (runCode, run) = await FleetAsync("team", "run", "--rehearse", "--no-tmux", "--wait", "--json");
        runCode.ShouldBe(0, run.Stderr);
        var squad = Squads(run.Stdout)[1];
        squad.GetProperty("status").GetString().ShouldBe("approved");
        squad.GetProperty("iterations").GetInt32().ShouldBe(2);
        var root = squad.GetProperty("squad_root").GetString()!;

        (await File.ReadAllTextAsync(Path.Combine(root, "iterations", "1", "checks.log"), Ct)).ShouldContain("FAIL: the change is not at iteration 2");
        var developer2 = await File.ReadAllTextAsync(Path.Combine(root, "iterations", "2", "developer.prompt.md"), Ct);
        developer2.ShouldContain("## The pull request's checks are not green (iteration 1");
        developer2.ShouldContain("FAIL: the change is not at iteration 2");
        (await File.ReadAllTextAsync(Path.Combine(root, "iterations", "1", "reviewer.prompt.md"), Ct)).ShouldContain("FAIL: the change is not at iteration 2");
        (await File.ReadAllTextAsync(Path.Combine(root, "iterations", "2", "reviewer.prompt.md"), Ct)).ShouldNotContain("checks are not green", customMessage: "green at iteration 2");

        var state = FleetRuns.Load(new FleetLayout(root));
        state.Verdicts.Single(v => v.Iteration == 1).Verdict.ShouldBe("iterate", "the reviewer's lgtm for a red head does not count");
        state.Verdicts.Single(v => v.Iteration == 2).Verdict.ShouldBe("lgtm");

        // A check that turns red at the approved head (a CI reporting late): team merge refuses it and says which.
        var pr = (await Forge.ListOpenPullRequestsAsync(Ct).DefaultTimeout()).Single(p => p.HeadBranch == "fleet/issue-1");
        (await Forge.GetChecksAsync(pr.Number, Ct).DefaultTimeout()).ShouldBe([new ForgeCheckRun("checks", "pass", Path.Combine(root, "iterations", "2", "checks.log"), "$ " + checks + "\n\n(exit 0)")]);
        await Forge.RecordCheckAsync(pr.Number, pr.HeadSha!, new ForgeCheckRun("ci", ForgeCheckRun.Fail), Ct).DefaultTimeout();
        var (refusedCode, refused) = await FleetAsync("team", "merge", "--json");
        refusedCode.ShouldBe(1);
        JsonDocument.Parse(refused.Stdout).RootElement[0].GetProperty("reason").GetString().ShouldBe($"its checks at head {pr.HeadSha![..12]} are not green: ci failed");

        await Forge.RecordCheckAsync(pr.Number, pr.HeadSha!, new ForgeCheckRun("ci", ForgeCheckRun.Pass), Ct).DefaultTimeout();
        var (mergedCode, merged) = await FleetAsync("team", "merge");
        mergedCode.ShouldBe(0, merged.Stdout + merged.Stderr);
        (await Forge.GetIssueAsync(1, Ct).DefaultTimeout()).State.ShouldBe(IssueState.Closed);
    }

    private static void RequireClis()
    {
        AgentCli.RequireOrSkip("claude");
        AgentCli.RequireOrSkip("codex");
    }

    private string Footprints(params (int Issue, string File, int? Needs)[] issues) =>
        Repo.Temp.Write("footprints.json", "{\"footprints\":[" + string.Join(",", issues.Select(i =>
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{{\"issue\":{i.Issue},\"files\":[\"{i.File}\"],\"folders\":[],\"migrations\":[],\"needs\":[{i.Needs}],\"why\":\"\"}}"))) + "]}");

    private static Dictionary<int, JsonElement> Squads(string stdout) =>
        JsonDocument.Parse(stdout).RootElement.GetProperty("squads").EnumerateArray().ToDictionary(s => s.GetProperty("issue").GetInt32(), s => s.Clone());

    private string Home => Repo.Temp.Combine("fleet-home");

    private Task<(int ExitCode, TestConsole Console)> FleetAsync(params string[] args) =>
        TestConsole.RunWithinAsync(TestTimeouts.TeamRun, Repo.Path, new Dictionary<string, string> { ["FLEET_HOME"] = Home }, args);
}
