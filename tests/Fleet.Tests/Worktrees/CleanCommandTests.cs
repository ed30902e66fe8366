using System.Text.Json;
using Fleet.Tests.Infrastructure;
using Fleet.Worktrees;

namespace Fleet.Tests.Worktrees;

/// <summary><c>fleet clean ROOT</c> through the real command tree: exit codes, stdout, the JSON shape.</summary>
public sealed class CleanCommandTests
{
    private const string FleetJson = """
        {
          "fleet_name": "sweep",
          "type": "worktree",
          "config": { "provider": "command" },
          "workers": [
            { "id": "a", "type": "code-run", "task": "fix typos", "command": ["true"] },
            { "id": "b", "type": "code-run", "task": "add tests", "command": ["true"] }
          ]
        }
        """;

    private readonly WorktreeManager _manager = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A repository holding a fleet at "fleets/sweep", worker a merged into main, worker b not.</summary>
    private async Task<(TestRepo Repo, string A, string B)> RepoWithFleetAsync()
    {
        var repo = await TestRepo.CreateAsync();
        repo.Write(Path.Combine("fleets", "sweep", "fleet.json"), FleetJson);
        await TestRepo.CommitInAsync(repo.Path, "add the fleet");
        var paths = new List<string>();
        foreach (var worker in new[] { "a", "b" })
        {
            var path = await _manager.EnsureAsync(repo.Path, "sweep", worker, null, Ct).DefaultTimeout();
            repo.Write($"{worker}.txt", worker, path);
            await _manager.FinishAsync(path, $"work of {worker}", TestRepo.Agent, Ct).DefaultTimeout();
            paths.Add(path);
        }

        await repo.GitAsync("merge", "--quiet", "--ff-only", "fleet/sweep/a");
        return (repo, paths[0], paths[1]);
    }

    [Fact]
    public async Task Clean_prints_what_it_removed_and_what_it_kept_and_exits_1_when_it_kept_work()
    {
        var (repo, a, b) = await RepoWithFleetAsync();
        using var _ = repo;

        var (code, console) = await TestConsole.RunAsync(repo.Path, "clean", "fleets/sweep");

        code.ShouldBe(1);
        console.Stdout.ShouldBe(
            "removed .fleet-worktrees/sweep/a (branch fleet/sweep/a), branch deleted\n" +
            "kept .fleet-worktrees/sweep/b (branch fleet/sweep/b): branch fleet/sweep/b has 1 commit not merged into main\n" +
            "removed 1, kept 1 (work kept: nothing unmerged or uncommitted is ever removed)\n");
        Directory.Exists(a).ShouldBeFalse();
        Directory.Exists(b).ShouldBeTrue();
    }

    [Fact]
    public async Task Clean_exits_0_when_it_kept_nothing()
    {
        var (repo, _, b) = await RepoWithFleetAsync();
        using var _ = repo;
        await repo.GitAsync("merge", "--quiet", "-m", "merge b", "fleet/sweep/b");

        var (code, console) = await TestConsole.RunAsync(Path.Combine(repo.Path, "fleets"), "clean", "sweep");

        code.ShouldBe(0, console.Stdout + console.Stderr);
        console.Stdout.ShouldEndWith("removed 2, kept 0\n");
        Directory.Exists(b).ShouldBeFalse();
    }

    [Fact]
    public async Task Clean_dry_run_json_writes_only_json_and_removes_nothing()
    {
        var (repo, a, b) = await RepoWithFleetAsync();
        using var _ = repo;

        var (code, console) = await TestConsole.RunAsync(repo.Path, "clean", "fleets/sweep", "--dry-run", "--json");

        code.ShouldBe(1);
        console.Stderr.ShouldBeEmpty();
        using var doc = JsonDocument.Parse(console.Stdout);
        var root = doc.RootElement;
        root.EnumerateObject().Select(p => p.Name).ShouldBe(["repository", "fleet", "dry_run", "removed", "would_remove", "refused", "worktrees"]);
        root.GetProperty("repository").GetString().ShouldBe(repo.Path);
        root.GetProperty("fleet").GetString().ShouldBe("sweep");
        root.GetProperty("dry_run").GetBoolean().ShouldBeTrue();
        root.GetProperty("removed").GetInt32().ShouldBe(0);
        root.GetProperty("would_remove").GetInt32().ShouldBe(1);
        root.GetProperty("refused").GetInt32().ShouldBe(1);
        var first = root.GetProperty("worktrees")[0];
        first.EnumerateObject().Select(p => p.Name).ShouldBe(["worker", "path", "branch", "action", "branch_deleted", "reason"]);
        first.GetProperty("worker").GetString().ShouldBe("a");
        first.GetProperty("path").GetString().ShouldBe(a);
        first.GetProperty("action").GetString().ShouldBe("would_remove");
        var second = root.GetProperty("worktrees")[1];
        second.GetProperty("branch").GetString().ShouldBe("fleet/sweep/b");
        second.GetProperty("action").GetString().ShouldBe("refused");
        second.GetProperty("reason").GetString().ShouldBe("branch fleet/sweep/b has 1 commit not merged into main");
        Directory.Exists(a).ShouldBeTrue();
        Directory.Exists(b).ShouldBeTrue();
    }

    [Fact]
    public async Task Clean_of_a_fleet_outside_any_git_repository_is_a_usage_error()
    {
        using var dir = new TempDir("fleet-norepo-");
        dir.Write(Path.Combine("sweep", "fleet.json"), FleetJson);

        var (code, console) = await TestConsole.RunAsync(dir.Path, "clean", "sweep");

        code.ShouldBe(2);
        console.Stdout.ShouldBeEmpty();
        console.Stderr.ShouldBe("fleet: sweep is not inside a git repository, so fleet \"sweep\" has no worktrees to clean\n");
    }

    [Fact]
    public async Task Clean_of_a_missing_fleet_is_a_usage_error()
    {
        using var dir = new TempDir("fleet-norepo-");

        var (code, console) = await TestConsole.RunAsync(dir.Path, "clean", "nowhere");

        code.ShouldBe(2);
        console.Stderr.ShouldBe("fleet: nowhere: no such file or folder\n");
    }

    [Fact]
    public async Task Clean_of_an_invalid_fleet_shows_its_problems_and_exits_2()
    {
        using var repo = await TestRepo.CreateAsync();
        repo.Write(Path.Combine("bad", "fleet.json"), "{ \"fleet_name\": \"f\", \"type\": \"worktree\", \"workers\": [] }");

        var (code, console) = await TestConsole.RunAsync(repo.Path, "clean", "bad");

        code.ShouldBe(2);
        console.Stderr.ShouldContain("$.workers: must have at least 1 item");
        console.Stderr.ShouldEndWith("not a valid fleet; nothing was removed\n");
    }
}
