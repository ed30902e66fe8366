using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Fleet.Team;
using Fleet.Tests.Forge;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Rehearsal;
using Fleet.Tests.Worktrees;

namespace Fleet.Tests.Team;

/// <summary>
/// Team mode against GitHub, with a fake <c>gh</c> on PATH that records every call: the exact commands of a plan, a run
/// and a merge are a golden file. The real fleet binary runs as a person would run it (its squads' orchestrators and
/// publish workers inherit the environment), pushing to a bare repository that stands for GitHub's copy.
/// </summary>
[Collection(TeamEndToEnd.Collection)]
public sealed partial class TeamGhCommandsTests : IAsyncLifetime
{
    private TestRepo _repo = null!;
    private FakeGhInstall _gh = null!;
    private string _origin = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _repo = await TestRepo.CreateAsync();
        _origin = _repo.Temp.Combine("origin.git");
        await TestRepo.GitInAsync(_repo.Temp.Path, "init", "--quiet", "--bare", "--initial-branch=main", _origin);
        await _repo.GitAsync("remote", "add", "origin", _origin);
        await _repo.GitAsync("push", "--quiet", "origin", "main");
        _gh = new FakeGhInstall();
    }

    public ValueTask DisposeAsync()
    {
        _gh.Dispose();
        _repo.Dispose();
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task A_team_run_against_github_makes_exactly_the_recorded_gh_calls_with_the_pre_flight_before_any_squad()
    {
        AgentCli.RequireOrSkip("claude");
        AgentCli.RequireOrSkip("codex");
        _gh.AddIssue(1, "Add a health endpoint", "GET /health answers 200.", ["backend"]);
        _gh.AddIssue(2, "Document the health endpoint", "Needs #1.", ["docs"], comments: ("octocat", "Please mention the port."));
        _gh.AddIssue(3, "Rate limits", "Someone is on this.", ["backend"]);
        _gh.Push("octocat/rate-limits", FakeGhInstall.Sha('7'));
        _gh.AddPull(40, "octocat/rate-limits", "Rate limits", "Fixes #3");
        var footprints = _repo.Temp.Write("footprints.json", """
            {"footprints":[
              {"issue":1,"files":["src/health.cs"],"folders":[],"migrations":[],"needs":[],"why":""},
              {"issue":2,"files":["docs/health.md"],"folders":[],"migrations":[],"needs":[1],"why":"#2: Needs #1."}
            ]}
            """);

        (await FleetAsync("team", "plan", "--footprints", footprints)).ShouldBe(0);
        var afterPlan = _gh.Calls().Count;
        (await FleetAsync("team", "run", "--rehearse", "--no-tmux", "--wait")).ShouldBe(0);
        var runCalls = _gh.Calls().Skip(afterPlan).ToList();
        runCalls[1].Line.ShouldStartWith("pr list --state open", customMessage: "the pre-flight comes before any squad starts");
        runCalls.FindIndex(c => c.Line.StartsWith("pr create", StringComparison.Ordinal)).ShouldBeGreaterThan(1);

        // A commit after the approval of #2's pull request: merge takes #1's and refuses #2's.
        var worktree = Path.Combine(_repo.Path, ".fleet-worktrees", "issue-2");
        File.WriteAllText(Path.Combine(worktree, "late.md"), "not reviewed\n");
        await TestRepo.CommitInAsync(worktree, "late");
        await TestRepo.GitInAsync(worktree, "push", "--quiet", "origin", "fleet/issue-2");
        (await FleetAsync("team", "merge")).ShouldBe(1);

        Golden.Match(Normalize(_gh.LogFor(_repo.Path)), "team-run.gh-calls.jsonl");
        var state = _gh.ReadState();
        var pulls = state["pulls"]!.AsArray().OfType<JsonObject>().ToDictionary(p => (string)p["headRefName"]!);
        ((string?)pulls["fleet/issue-1"]["state"]).ShouldBe("MERGED");
        ((string?)pulls["fleet/issue-2"]["state"]).ShouldBe("OPEN");
        ((string?)pulls["octocat/rate-limits"]["state"]).ShouldBe("OPEN");
        VerdictTrailer.Parse((string?)pulls["fleet/issue-1"]["body"])!.Verdict.ShouldBe("lgtm");
    }

    /// <summary>What changes from run to run (commit ids, run ids, temp folders) masked; bodies cut to their first line.</summary>
    private string Normalize(string log)
    {
        var lines = new List<string>();
        foreach (var line in log.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var call = JsonNode.Parse(line)!.AsObject();
            var argv = call["argv"]!.AsArray().Select(a => (string)a!).ToList();
            for (var i = 1; i < argv.Count; i++)
            {
                if (argv[i - 1] == "--body")
                {
                    argv[i] = argv[i].Split('\n')[0] + (argv[i].Contains('\n', StringComparison.Ordinal) ? " …" : "");
                }
            }

            var text = string.Join(" ", argv.Select(a => a.Contains(' ', StringComparison.Ordinal) || a.Length == 0 ? $"\"{a}\"" : a));
            text = text.Replace(_repo.Temp.Path, "<tmp>", StringComparison.Ordinal);
            text = Sha().Replace(text, "<sha>");
            text = ShortSha().Replace(text, "<sha12>");
            text = RunId().Replace(text, "<team-run>");
            lines.Add($"{text}    (in {((string)call["cwd"]! == _repo.Path ? "<repo>" : (string)call["cwd"]!)})");
        }

        return string.Join("\n", lines) + "\n";
    }

    private async Task<int> FleetAsync(params string[] args)
    {
        var psi = RepoPaths.FleetProcess(_repo.Path, args);

        foreach (var (name, value) in _gh.Environment)
        {
            psi.Environment[name] = value;
        }

        psi.Environment["FAKE_GH_GIT_DIR"] = _origin;
        psi.Environment["FLEET_HOME"] = _repo.Temp.Combine("fleet-home");
        psi.Environment["FLEET_COMMAND"] = RepoPaths.FleetCommand;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct).WaitAsync(TestTimeouts.TeamRun, Ct);
        TestContext.Current.TestOutputHelper?.WriteLine($"$ fleet {string.Join(' ', args)} → {process.ExitCode}\n{await stdout}\n{await stderr}");
        return process.ExitCode;
    }

    [GeneratedRegex("\\b[0-9a-f]{40}\\b")]
    private static partial Regex Sha();

    [GeneratedRegex("\\b[0-9a-f]{12}\\b")]
    private static partial Regex ShortSha();

    [GeneratedRegex("t-\\d{8}-\\d{6}-[0-9a-f]{4}")]
    private static partial Regex RunId();
}
