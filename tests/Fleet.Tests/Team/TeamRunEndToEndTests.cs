using System.Text.Json;
using Fleet.Forge;
using Fleet.State;
using Fleet.Team;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Rehearsal;
using Fleet.Tests.Worktrees;
using Microsoft.Data.Sqlite;

namespace Fleet.Tests.Team;

/// <summary>
/// Team mode end to end with the local forge and the rehearsal endpoint: the real claude (developer, SDET) and codex
/// (reviewer) CLIs, real git worktrees and commits, real pull-request records, the real orchestrator per squad.
/// </summary>
[Collection(TeamEndToEnd.Collection)]
public sealed class TeamRunEndToEndTests : LocalForgeRepo
{
    [Fact]
    public async Task A_serialized_backlog_of_four_issues_runs_in_the_planned_waves_stacks_a_dependent_on_approved_work_and_merges_only_what_was_approved_at_its_head()
    {
        AgentCli.RequireOrSkip("claude");
        AgentCli.RequireOrSkip("codex");
        await AddIssuesAsync(5, i => $"Do thing {i}.");

        // Someone is already on #5: an open pull request closes it.
        await TheirBranchAsync("someone/else");
        var theirs = await Forge.CreatePullRequestAsync(new NewPullRequest("someone/else", "main", "Their fix", "Closes #5\n"), Ct).DefaultTimeout();
        var footprints = Repo.Temp.Write("footprints.json", """
            {"footprints":[
              {"issue":1,"files":["src/a.txt"],"folders":[],"migrations":[],"needs":[],"why":""},
              {"issue":2,"files":["src/a.txt"],"folders":[],"migrations":[],"needs":[],"why":""},
              {"issue":3,"files":["src/c.txt"],"folders":[],"migrations":[],"needs":[1],"why":"#3: once #1 is in"},
              {"issue":4,"files":["docs/d.md"],"folders":[],"migrations":[],"needs":[],"why":""}
            ]}
            """);

        var (planCode, plan) = await FleetAsync("team", "plan", "--local-forge", ForgeDir, "--footprints", footprints, "--overlap", "serialize", "--json");
        planCode.ShouldBe(0, plan.Stderr);
        using (var doc = JsonDocument.Parse(plan.Stdout))
        {
            var waves = doc.RootElement.GetProperty("waves").EnumerateArray()
                .Select(w => string.Join(",", w.GetProperty("issues").EnumerateArray().Select(n => n.GetInt32()))).ToList();
            waves.ShouldBe(["1,4", "2,3"]);
            var reasons = doc.RootElement.GetProperty("serializations").EnumerateArray().Select(s => s.GetProperty("reason").GetString()).ToList();
            reasons.ShouldBe(["#2 runs after #1: both change src/a.txt", "#3 waits for #1: it needs #1's result"]);
            var five = doc.RootElement.GetProperty("issues").EnumerateArray().Single(i => i.GetProperty("number").GetInt32() == 5);
            five.GetProperty("taken").GetProperty("reason").GetString().ShouldBe($"open pull request #{theirs.Number} closes it");
            five.GetProperty("taken").GetProperty("url").GetString().ShouldBe(theirs.Url);
        }

        (await Repo.GitAsync("status", "--porcelain")).ShouldBeEmpty("the plan lives under .fleet/team/, which git ignores");

        var (runCode, run) = await FleetAsync("team", "run", "--rehearse", "--no-tmux", "--wait", "--json");
        runCode.ShouldBe(0, run.Stderr);
        var squads = JsonDocument.Parse(run.Stdout).RootElement.GetProperty("squads").EnumerateArray()
            .ToDictionary(s => s.GetProperty("issue").GetInt32(), s => s.Clone());
        squads[5].GetProperty("status").GetString().ShouldBe("taken");
        squads[5].GetProperty("reason").GetString()!.ShouldContain(theirs.Url);

        var open = await Forge.ListOpenPullRequestsAsync(Ct).DefaultTimeout();
        open.Where(p => p.HeadBranch.StartsWith("fleet/", StringComparison.Ordinal)).Count().ShouldBe(4);
        var roots = new Dictionary<int, string>();
        foreach (var n in new[] { 1, 2, 3, 4 })
        {
            squads[n].GetProperty("status").GetString().ShouldBe("approved", $"#{n}: {squads[n].GetProperty("reason").GetString()}");
            roots[n] = squads[n].GetProperty("squad_root").GetString()!;
            var branch = $"fleet/issue-{n}";

            // #3 needs #1: without --merge its branch is stacked on #1's approved branch, and its pull request is based on it.
            var prBase = n == 3 ? "fleet/issue-1" : "main";
            (await Repo.GitAsync("rev-list", "--count", $"{prBase}..{branch}")).ShouldBe("1", $"{branch} holds the developer's own commit");
            (await Repo.GitAsync("log", "-1", "--format=%s", branch)).ShouldBe($"issue-{n}: the change, iteration 1");
            (await Repo.GitAsync("show", $"{branch}:issue-{n}.txt")).ShouldBe($"the change for issue-{n}, iteration 1");

            var pr = await Forge.GetPullRequestAsync(open.Single(p => p.HeadBranch == branch).Number, Ct).DefaultTimeout();
            pr.BaseBranch.ShouldBe(prBase);
            pr.Body.ShouldStartWith($"Closes #{n}\n");
            pr.ClosingIssues.ShouldBe([n]);
            var head = await Repo.GitAsync("rev-parse", branch);
            VerdictTrailer.Parse(pr.Body).ShouldBe(new VerdictTrailer("lgtm", "codex/default", 1, head));
            var review = pr.Reviews.ShouldHaveSingleItem();
            review.State.ShouldBe(ReviewState.Approved);
            review.CommitSha.ShouldBe(head);
            review.Body.ShouldContain("verdict: lgtm");
            review.Body.ShouldContain($"Rehearsal review of issue-{n}");
        }

        (await Repo.GitAsync("rev-list", "--count", "fleet/issue-3..fleet/issue-1")).ShouldBe("0", "#3 was developed on #1's approved change");

        // The SDET's report and the productivity engineer's engagement log are comments on each pull request (the local forge keeps them in the record).
        foreach (var n in new[] { 1, 2, 3, 4 })
        {
            var record = await File.ReadAllTextAsync(Path.Combine(ForgeDir, "pulls", $"{open.Single(p => p.HeadBranch == $"fleet/issue-{n}").Number}.json"), Ct);
            record.ShouldContain($"SDET report for issue-{n}, iteration 1");
            record.ShouldContain("Engagement log");
        }

        // Wave 2 started only after wave 1 ended.
        DateTimeOffset Started(int n) => Journal.Read(Path.Combine(roots[n], ".fleet", "journal.jsonl")).First(e => e.Type == JournalTypes.RunStarted).Ts;
        DateTimeOffset Ended(int n) => Journal.Read(Path.Combine(roots[n], ".fleet", "journal.jsonl")).Last(e => e.Type == JournalTypes.RunEnded).Ts;
        Started(2).ShouldBeGreaterThan(new[] { Ended(1), Ended(4) }.Max());
        Started(3).ShouldBeGreaterThan(Ended(1));

        // The run's retro is an issue labelled fleet-retro; the next plan reads it at step 0.
        var retro = (await Forge.ListIssuesAsync(new IssueQuery(Label: "fleet-retro", State: IssueState.All), Ct).DefaultTimeout()).ShouldHaveSingleItem();
        (await Forge.GetIssueAsync(retro.Number, Ct).DefaultTimeout()).Body.ShouldContain("Interventions per issue: 0 (0 over 4 squads)");

        // The developer and the reviewer of an issue never share a session (from the flight recorder).
        var db = Path.Combine(Home, "telemetry.db");
        var sessions = await SessionsByWorkerAsync(db);
        foreach (var n in new[] { 1, 2, 3, 4 })
        {
            var developer = sessions[($"#{n}", "developer")];
            var reviewer = sessions[($"#{n}", "reviewer")];
            developer.ShouldNotBeEmpty();
            reviewer.ShouldNotBeEmpty();
            developer.Intersect(reviewer).ShouldBeEmpty($"#{n}'s developer and reviewer share a session");
        }

        // A change after the approval: that pull request is refused, the others merge.
        var late = Path.Combine(Repo.Path, ".fleet-worktrees", "issue-4");
        File.WriteAllText(Path.Combine(late, "late.txt"), "not reviewed\n");
        var lateHead = await TestRepo.CommitInAsync(late, "a change nobody reviewed");
        var (mergeCode, merge) = await FleetAsync("team", "merge", "--json");
        mergeCode.ShouldBe(1, merge.Stderr);
        var decisions = JsonDocument.Parse(merge.Stdout).RootElement.EnumerateArray()
            .ToDictionary(d => d.GetProperty("pull_request").GetInt32(), d => (Action: d.GetProperty("action").GetString(), Reason: d.GetProperty("reason").GetString()!));
        var four = open.Single(p => p.HeadBranch == "fleet/issue-4").Number;
        decisions[four].Action.ShouldBe("refused");
        decisions[four].Reason.ShouldEndWith($"but its head is now {lateHead[..12]}: the commits after the approval were not reviewed");
        decisions.Where(d => d.Key != four).Select(d => d.Value.Action).ShouldAllBe(a => a == "merged");
        var three = open.Single(p => p.HeadBranch == "fleet/issue-3").Number;
        (await Forge.GetPullRequestAsync(three, Ct).DefaultTimeout()).BaseBranch.ShouldBe("main", "merging #1 moved the pull request stacked on it to main");
        foreach (var n in new[] { 1, 2, 3 })
        {
            File.Exists(Path.Combine(Repo.Path, $"issue-{n}.txt")).ShouldBeTrue($"#{n} was merged into main");
        }

        File.Exists(Path.Combine(Repo.Path, "issue-4.txt")).ShouldBeFalse();
        (await Forge.GetIssueAsync(1, Ct).DefaultTimeout()).State.ShouldBe(IssueState.Closed);
        (await Forge.GetIssueAsync(4, Ct).DefaultTimeout()).State.ShouldBe(IssueState.Open);

        // The loop closes: the next plan reads the retro at step 0, and never starts again what has a pull request.
        var (againCode, again) = await FleetAsync("team", "plan", "--local-forge", ForgeDir, "--json");
        againCode.ShouldBe(0, again.Stderr);
        using var next = JsonDocument.Parse(again.Stdout);
        next.RootElement.GetProperty("retro").GetString().ShouldBe(retro.Url);
        next.RootElement.GetProperty("waves").GetArrayLength().ShouldBe(0);
        next.RootElement.GetProperty("issues").EnumerateArray().Select(i => (i.GetProperty("number").GetInt32(), i.GetProperty("taken").GetProperty("reason").GetString()))
            .ShouldBe([(4, $"open pull request #{four} closes it"), (5, $"open pull request #{theirs.Number} closes it")]);
    }

    /// <summary>Fleet's own files (registry, logs, telemetry) outside the repository, whose tree must stay clean.</summary>
    private string Home => Repo.Temp.Combine("fleet-home");

    private Task<(int ExitCode, TestConsole Console)> FleetAsync(params string[] args) =>
        TestConsole.RunWithinAsync(TestTimeouts.TeamRun, Repo.Path, new Dictionary<string, string> { ["FLEET_HOME"] = Home }, args);

    private static async Task<Dictionary<(string Issue, string Worker), HashSet<string>>> SessionsByWorkerAsync(string db)
    {
        File.Exists(db).ShouldBeTrue(db);
        var sessions = new Dictionary<(string, string), HashSet<string>>();
        await using var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT DISTINCT issue, worker, session_id FROM model_calls WHERE issue IS NOT NULL AND session_id IS NOT NULL";
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            var key = (reader.GetString(0), reader.GetString(1));
            if (!sessions.TryGetValue(key, out var set))
            {
                sessions[key] = set = [];
            }

            set.Add(reader.GetString(2));
        }

        return sessions;
    }
}
