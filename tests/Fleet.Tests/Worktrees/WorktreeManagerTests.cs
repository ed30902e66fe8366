using Fleet.Tests.Infrastructure;
using Fleet.Worktrees;

namespace Fleet.Tests.Worktrees;

/// <summary>Ensure, commit-all and list against real git repositories in temp folders.</summary>
public sealed class WorktreeManagerTests
{
    private readonly WorktreeManager _manager = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<string> EnsureAsync(TestRepo repo, string worker, string? baseRef = null, string fleet = "sweep") =>
        _manager.EnsureAsync(repo.Path, fleet, worker, baseRef, Ct).DefaultTimeout();

    [Fact]
    public async Task Ensure_creates_the_worker_s_worktree_on_its_fleet_branch_at_HEAD()
    {
        using var repo = await TestRepo.CreateAsync();
        var head = await repo.GitAsync("rev-parse", "HEAD");

        var path = await EnsureAsync(repo, "fix-typos");

        path.ShouldBe(Path.Combine(repo.Path, ".fleet-worktrees", "sweep", "fix-typos"));
        (await TestRepo.GitInAsync(path, "symbolic-ref", "--short", "HEAD")).ShouldBe("fleet/sweep/fix-typos");
        (await TestRepo.GitInAsync(path, "rev-parse", "HEAD")).ShouldBe(head);
        File.ReadAllText(Path.Combine(path, "README.md")).ShouldBe("hello\n");
        (await repo.GitAsync("config", "branch.fleet/sweep/fix-typos.fleetBase")).ShouldBe("main");
    }

    [Fact]
    public async Task Ensure_keeps_the_worktrees_folder_out_of_the_repository_through_info_exclude()
    {
        using var repo = await TestRepo.CreateAsync();

        await EnsureAsync(repo, "a");
        await repo.GitAsync("add", "--all");

        (await repo.GitAsync("status", "--porcelain", "--untracked-files=all")).ShouldBeEmpty();
        File.ReadAllLines(Path.Combine(repo.Path, ".git", "info", "exclude")).Count(l => l == "/.fleet-worktrees/").ShouldBe(1);
    }

    [Fact]
    public async Task Ensure_a_second_time_returns_the_same_worktree_with_the_agent_s_uncommitted_file()
    {
        using var repo = await TestRepo.CreateAsync();
        var first = await EnsureAsync(repo, "a");
        repo.Write("half-done.txt", "agent work\n", first);
        var head = await TestRepo.GitInAsync(first, "rev-parse", "HEAD");

        var second = await EnsureAsync(repo, "a");

        second.ShouldBe(first);
        File.ReadAllText(Path.Combine(second, "half-done.txt")).ShouldBe("agent work\n");
        (await TestRepo.GitInAsync(second, "rev-parse", "HEAD")).ShouldBe(head);
        (await _manager.ListAsync(repo.Path, "sweep", Ct).DefaultTimeout()).Count.ShouldBe(1);
        File.ReadAllLines(Path.Combine(repo.Path, ".git", "info", "exclude")).Count(l => l == "/.fleet-worktrees/").ShouldBe(1);
    }

    [Fact]
    public async Task Ensure_reuses_the_branch_of_an_earlier_run_whose_worktree_was_removed()
    {
        using var repo = await TestRepo.CreateAsync();
        var path = await EnsureAsync(repo, "a");
        repo.Write("done.txt", "earlier run\n", path);
        var commit = await _manager.FinishAsync(path, "earlier run", TestRepo.Agent, Ct).DefaultTimeout();
        await repo.GitAsync("worktree", "remove", path);

        var again = await EnsureAsync(repo, "a");

        again.ShouldBe(path);
        (await TestRepo.GitInAsync(again, "rev-parse", "HEAD")).ShouldBe(commit);
        File.ReadAllText(Path.Combine(again, "done.txt")).ShouldBe("earlier run\n");
    }

    [Fact]
    public async Task Ensure_recreates_a_worktree_whose_folder_was_deleted_by_hand_from_its_branch()
    {
        using var repo = await TestRepo.CreateAsync();
        var path = await EnsureAsync(repo, "a");
        repo.Write("done.txt", "committed\n", path);
        var commit = await _manager.FinishAsync(path, "work", TestRepo.Agent, Ct).DefaultTimeout();
        Directory.Delete(path, recursive: true);

        var again = await EnsureAsync(repo, "a");

        (await TestRepo.GitInAsync(again, "rev-parse", "HEAD")).ShouldBe(commit);
    }

    [Fact]
    public async Task Ensure_recreates_a_worktree_deleted_by_hand_while_still_under_fleet_s_lock()
    {
        using var repo = await TestRepo.CreateAsync();
        var path = await EnsureAsync(repo, "a");
        repo.Write("done.txt", "committed\n", path);
        var commit = await _manager.CommitAllAsync(path, "work", TestRepo.Agent, Ct).DefaultTimeout();
        Directory.Delete(path, recursive: true);

        var again = await EnsureAsync(repo, "a");

        (await TestRepo.GitInAsync(again, "rev-parse", "HEAD")).ShouldBe(commit);
        (await _manager.ListAsync(repo.Path, "sweep", Ct).DefaultTimeout()).ShouldHaveSingleItem().Locked.ShouldBeTrue();
    }

    [Fact]
    public async Task Ensure_refuses_a_branch_of_that_name_that_fleet_did_not_create()
    {
        using var repo = await TestRepo.CreateAsync();
        await repo.GitAsync("branch", "fleet/sweep/a");

        var ex = await Should.ThrowAsync<WorktreeException>(EnsureAsync(repo, "a"));

        ex.Message.ShouldContain("branch fleet/sweep/a exists but fleet did not create it");
        Directory.Exists(Path.Combine(repo.Path, ".fleet-worktrees", "sweep", "a")).ShouldBeFalse();
    }

    [Fact]
    public async Task Ensure_refuses_a_branch_that_is_checked_out_in_another_worktree()
    {
        using var repo = await TestRepo.CreateAsync();
        var other = repo.Temp.Combine("someone else's checkout");
        await repo.GitAsync("worktree", "add", "--quiet", "-b", "fleet/sweep/a", other);

        var ex = await Should.ThrowAsync<WorktreeException>(EnsureAsync(repo, "a"));

        ex.Message.ShouldContain($"branch fleet/sweep/a is already checked out at {other}");
    }

    [Fact]
    public async Task Ensure_refuses_to_write_over_a_folder_that_is_not_a_worktree()
    {
        using var repo = await TestRepo.CreateAsync();
        var inTheWay = repo.Write(Path.Combine(".fleet-worktrees", "sweep", "a", "mine.txt"), "not fleet's\n");

        var ex = await Should.ThrowAsync<WorktreeException>(EnsureAsync(repo, "a"));

        ex.Message.ShouldContain("exists and is not a worktree of this repository");
        File.ReadAllText(inTheWay).ShouldBe("not fleet's\n");
    }

    [Fact]
    public async Task Ensure_refuses_a_worktree_whose_agent_switched_it_to_another_branch()
    {
        using var repo = await TestRepo.CreateAsync();
        var path = await EnsureAsync(repo, "a");
        await TestRepo.GitInAsync(path, "switch", "--quiet", "-c", "elsewhere");

        var ex = await Should.ThrowAsync<WorktreeException>(EnsureAsync(repo, "a"));

        ex.Message.ShouldContain("is on branch elsewhere, not fleet/sweep/a");
    }

    [Fact]
    public async Task Ensure_from_a_detached_HEAD_starts_the_branch_at_that_commit()
    {
        using var repo = await TestRepo.CreateAsync();
        var first = await repo.GitAsync("rev-parse", "HEAD");
        repo.Write("second.txt", "2\n");
        await TestRepo.CommitInAsync(repo.Path, "second");
        await repo.GitAsync("switch", "--quiet", "--detach", first);

        var path = await EnsureAsync(repo, "a");

        (await TestRepo.GitInAsync(path, "rev-parse", "HEAD")).ShouldBe(first);
        (await repo.GitAsync("config", "branch.fleet/sweep/a.fleetBase")).ShouldBe(first);
    }

    [Fact]
    public async Task Ensure_with_a_base_ref_starts_the_branch_there()
    {
        using var repo = await TestRepo.CreateAsync();
        var first = await repo.GitAsync("rev-parse", "HEAD");
        await repo.GitAsync("branch", "release");
        repo.Write("second.txt", "2\n");
        await TestRepo.CommitInAsync(repo.Path, "second");

        var path = await EnsureAsync(repo, "a", baseRef: "release");

        (await TestRepo.GitInAsync(path, "rev-parse", "HEAD")).ShouldBe(first);
        (await repo.GitAsync("config", "branch.fleet/sweep/a.fleetBase")).ShouldBe("release");
    }

    [Fact]
    public async Task Ensure_with_a_base_ref_that_does_not_exist_says_so()
    {
        using var repo = await TestRepo.CreateAsync();

        var ex = await Should.ThrowAsync<WorktreeException>(EnsureAsync(repo, "a", baseRef: "no-such-branch"));

        ex.Message.ShouldContain("base ref no-such-branch does not resolve to a commit");
    }

    [Fact]
    public async Task Ensure_in_a_repository_with_no_commits_asks_for_a_first_commit()
    {
        using var repo = await TestRepo.CreateAsync(commit: false);

        var ex = await Should.ThrowAsync<WorktreeException>(EnsureAsync(repo, "a"));

        ex.Message.ShouldContain("has no commits yet");
        ex.Message.ShouldContain("make a first commit");
    }

    [Fact]
    public async Task Ensure_outside_any_repository_says_it_is_not_a_git_repository()
    {
        using var dir = new TempDir("fleet-norepo-");

        var ex = await Should.ThrowAsync<NotAGitRepositoryException>(_manager.EnsureAsync(dir.Path, "sweep", "a", null, Ct).DefaultTimeout());

        ex.Message.ShouldStartWith($"{dir.Path} is not inside a git repository");
        ex.Message.ShouldContain("git rev-parse --show-toplevel");
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/b")]
    [InlineData("Upper")]
    [InlineData("x.lock")]
    [InlineData("a..b")]
    public async Task Ensure_rejects_a_worker_id_that_cannot_name_both_a_branch_and_a_folder(string workerId)
    {
        using var repo = await TestRepo.CreateAsync();

        await Should.ThrowAsync<WorktreeException>(EnsureAsync(repo, workerId));

        Directory.Exists(Path.Combine(repo.Path, ".fleet-worktrees")).ShouldBeFalse();
    }

    [Fact]
    public async Task Ensure_locks_the_worktree_and_finish_unlocks_it()
    {
        using var repo = await TestRepo.CreateAsync();
        var path = await EnsureAsync(repo, "a");

        var locked = (await _manager.ListAsync(repo.Path, "sweep", Ct).DefaultTimeout()).ShouldHaveSingleItem();
        locked.LockReason.ShouldNotBeNull().ShouldContain("worker a of fleet sweep may be running here");

        await _manager.FinishAsync(path, "done", TestRepo.Agent, Ct).DefaultTimeout();

        (await _manager.ListAsync(repo.Path, "sweep", Ct).DefaultTimeout()).ShouldHaveSingleItem().Locked.ShouldBeFalse();
    }

    [Fact]
    public async Task Commit_all_commits_new_modified_and_deleted_files_as_the_agent()
    {
        using var repo = await TestRepo.CreateAsync();
        repo.Write("old.txt", "to delete\n");
        await TestRepo.CommitInAsync(repo.Path, "old");
        var path = await EnsureAsync(repo, "a");
        repo.Write("README.md", "changed\n", path);
        repo.Write(Path.Combine("src", "new file.txt"), "new\n", path);
        File.Delete(Path.Combine(path, "old.txt"));

        var commit = await _manager.CommitAllAsync(path, "fleet: worker a", TestRepo.Agent, Ct).DefaultTimeout();

        commit.ShouldNotBeNull();
        (await TestRepo.GitInAsync(path, "rev-parse", "fleet/sweep/a")).ShouldBe(commit);
        (await TestRepo.GitInAsync(path, "show", "--name-status", "--format=%an <%ae>|%s", commit)).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .ShouldBe(["Fleet Agent <agent@fleet.invalid>|fleet: worker a", "M\tREADME.md", "D\told.txt", "A\tsrc/new file.txt"]);
        (await TestRepo.GitInAsync(path, "status", "--porcelain")).ShouldBeEmpty();
    }

    [Fact]
    public async Task Commit_all_with_nothing_to_commit_makes_no_commit()
    {
        using var repo = await TestRepo.CreateAsync();
        var path = await EnsureAsync(repo, "a");
        var head = await TestRepo.GitInAsync(path, "rev-parse", "HEAD");

        var commit = await _manager.CommitAllAsync(path, "fleet: worker a", TestRepo.Agent, Ct).DefaultTimeout();

        commit.ShouldBeNull();
        (await TestRepo.GitInAsync(path, "rev-parse", "HEAD")).ShouldBe(head);
    }

    [Fact]
    public async Task Commit_all_on_a_detached_HEAD_refuses_and_leaves_the_changes_in_place()
    {
        using var repo = await TestRepo.CreateAsync();
        var path = await EnsureAsync(repo, "a");
        await TestRepo.GitInAsync(path, "switch", "--quiet", "--detach");
        repo.Write("work.txt", "agent work\n", path);

        var ex = await Should.ThrowAsync<WorktreeException>(_manager.CommitAllAsync(path, "m", TestRepo.Agent, Ct).DefaultTimeout());

        ex.Message.ShouldContain("HEAD is detached");
        (await TestRepo.GitInAsync(path, "status", "--porcelain")).ShouldBe("?? work.txt");
    }

    [Fact]
    public async Task Three_workers_get_three_branches_each_holding_only_its_own_worker_s_commit()
    {
        using var repo = await TestRepo.CreateAsync();
        string[] workers = ["w1", "w2", "w3"];

        var paths = await Task.WhenAll(workers.Select(w => EnsureAsync(repo, w))).DefaultTimeout();
        for (var i = 0; i < workers.Length; i++)
        {
            repo.Write($"{workers[i]}.txt", $"by {workers[i]}\n", paths[i]);
        }

        await Task.WhenAll(paths.Select((p, i) => _manager.FinishAsync(p, $"work of {workers[i]}", TestRepo.Agent, Ct))).DefaultTimeout();

        foreach (var worker in workers)
        {
            (await repo.GitAsync("log", "--format=%s", $"main..fleet/sweep/{worker}")).ShouldBe($"work of {worker}");
            (await repo.GitAsync("diff", "--name-only", $"main...fleet/sweep/{worker}")).ShouldBe($"{worker}.txt");
        }

        (await _manager.ListAsync(repo.Path, "sweep", Ct).DefaultTimeout()).Select(w => (w.WorkerId, w.Branch))
            .ShouldBe([("w1", "fleet/sweep/w1"), ("w2", "fleet/sweep/w2"), ("w3", "fleet/sweep/w3")]);
    }

    [Fact]
    public async Task List_shows_only_the_named_fleet_s_worktrees()
    {
        using var repo = await TestRepo.CreateAsync();
        await EnsureAsync(repo, "a");
        await EnsureAsync(repo, "a", fleet: "other");

        var list = await _manager.ListAsync(repo.Path, "sweep", Ct).DefaultTimeout();

        list.ShouldHaveSingleItem().Branch.ShouldBe("fleet/sweep/a");
    }

    [Fact]
    public void The_porcelain_parser_reads_locks_with_and_without_reasons_detached_heads_and_stale_entries()
    {
        const string Output = "worktree /r\0HEAD 1111\0branch refs/heads/main\0\0" +
            "worktree /r/.fleet-worktrees/f/a\0HEAD 2222\0branch refs/heads/fleet/f/a\0locked why not\0\0" +
            "worktree /r/.fleet-worktrees/f/b\0HEAD 3333\0detached\0locked\0prunable gitdir file points to non-existent location\0\0";

        var list = WorktreeManager.ParsePorcelain(Output);

        list.ShouldBe([
            new FleetWorktree("/r", "r", "main", "1111", null, false),
            new FleetWorktree("/r/.fleet-worktrees/f/a", "a", "fleet/f/a", "2222", "why not", false),
            new FleetWorktree("/r/.fleet-worktrees/f/b", "b", null, "3333", "", true),
        ]);
    }
}
