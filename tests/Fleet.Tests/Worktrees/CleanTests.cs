using Fleet.Tests.Infrastructure;
using Fleet.Worktrees;

namespace Fleet.Tests.Worktrees;

/// <summary>Clean removes only merged, clean, unlocked worktrees, and says why it keeps the others.</summary>
public sealed class CleanTests
{
    private readonly WorktreeManager _manager = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A worker that ran and ended: its worktree exists, unlocked, with <paramref name="commits"/> commits on its branch.</summary>
    private async Task<string> WorkerAsync(TestRepo repo, string worker, int commits = 1)
    {
        var path = await _manager.EnsureAsync(repo.Path, "sweep", worker, null, Ct).DefaultTimeout();
        for (var i = 1; i <= commits; i++)
        {
            repo.Write($"{worker}-{i}.txt", $"{i}\n", path);
            await _manager.CommitAllAsync(path, $"{worker} {i}", TestRepo.Agent, Ct).DefaultTimeout();
        }

        await _manager.UnlockAsync(path, Ct).DefaultTimeout();
        return path;
    }

    private Task<CleanReport> CleanAsync(TestRepo repo, bool dryRun = false) =>
        _manager.CleanAsync(repo.Path, "sweep", null, dryRun, Ct).DefaultTimeout();

    private static async Task<bool> BranchExistsAsync(TestRepo repo, string branch) =>
        (await repo.GitAsync("branch", "--list", branch)).Length > 0;

    [Fact]
    public async Task Clean_removes_a_merged_clean_worktree_and_deletes_its_branch()
    {
        using var repo = await TestRepo.CreateAsync();
        var path = await WorkerAsync(repo, "a");
        await repo.GitAsync("merge", "--quiet", "--no-ff", "-m", "merge a", "fleet/sweep/a");

        var report = await CleanAsync(repo);

        report.Outcomes.ShouldBe([new CleanOutcome("a", path, "fleet/sweep/a", CleanAction.Removed, null, true)]);
        report.AnyRefused.ShouldBeFalse();
        Directory.Exists(path).ShouldBeFalse();
        (await BranchExistsAsync(repo, "fleet/sweep/a")).ShouldBeFalse();
        (await repo.GitAsync("config", "--local", "--list")).ShouldNotContain("fleet/sweep/a");
    }

    [Fact]
    public async Task Clean_refuses_an_unmerged_branch_and_counts_its_commits()
    {
        using var repo = await TestRepo.CreateAsync();
        var path = await WorkerAsync(repo, "a", commits: 2);

        var report = await CleanAsync(repo);

        var outcome = report.Outcomes.ShouldHaveSingleItem();
        outcome.Action.ShouldBe(CleanAction.Refused);
        outcome.Reason.ShouldBe("branch fleet/sweep/a has 2 commits not merged into main");
        report.AnyRefused.ShouldBeTrue();
        File.Exists(Path.Combine(path, "a-2.txt")).ShouldBeTrue();
        (await BranchExistsAsync(repo, "fleet/sweep/a")).ShouldBeTrue();
    }

    [Fact]
    public async Task Clean_refuses_a_merged_worktree_with_an_untracked_file_and_names_the_file()
    {
        using var repo = await TestRepo.CreateAsync();
        var path = await WorkerAsync(repo, "a", commits: 0);
        repo.Write("notes.txt", "the agent's last thoughts\n", path);

        var report = await CleanAsync(repo);

        var outcome = report.Outcomes.ShouldHaveSingleItem();
        outcome.Action.ShouldBe(CleanAction.Refused);
        outcome.Reason.ShouldBe("has uncommitted changes: notes.txt");
        File.ReadAllText(Path.Combine(path, "notes.txt")).ShouldBe("the agent's last thoughts\n");
    }

    [Fact]
    public async Task Clean_gives_every_reason_when_a_worktree_is_both_dirty_and_unmerged()
    {
        using var repo = await TestRepo.CreateAsync();
        var path = await WorkerAsync(repo, "a");
        repo.Write("README.md", "edited\n", path);

        var outcome = (await CleanAsync(repo)).Outcomes.ShouldHaveSingleItem();

        outcome.Reason.ShouldBe("has uncommitted changes: README.md; branch fleet/sweep/a has 1 commit not merged into main");
    }

    [Fact]
    public async Task Clean_refuses_a_worktree_that_is_still_locked_for_a_running_worker()
    {
        using var repo = await TestRepo.CreateAsync();
        var path = await _manager.EnsureAsync(repo.Path, "sweep", "a", null, Ct).DefaultTimeout();

        var outcome = (await CleanAsync(repo)).Outcomes.ShouldHaveSingleItem();

        outcome.Action.ShouldBe(CleanAction.Refused);
        outcome.Reason.ShouldNotBeNull().ShouldStartWith("locked (fleet: worker a of fleet sweep may be running here");
        Directory.Exists(path).ShouldBeTrue();
    }

    [Fact]
    public async Task Clean_dry_run_reports_what_it_would_remove_and_removes_nothing()
    {
        using var repo = await TestRepo.CreateAsync();
        var merged = await WorkerAsync(repo, "a");
        await repo.GitAsync("merge", "--quiet", "--ff-only", "fleet/sweep/a");
        var unmerged = await WorkerAsync(repo, "b");

        var report = await CleanAsync(repo, dryRun: true);

        report.Outcomes.Select(o => (o.WorkerId, o.Action)).ShouldBe([("a", CleanAction.WouldRemove), ("b", CleanAction.Refused)]);
        Directory.Exists(merged).ShouldBeTrue();
        Directory.Exists(unmerged).ShouldBeTrue();
        (await BranchExistsAsync(repo, "fleet/sweep/a")).ShouldBeTrue();
    }

    [Fact]
    public async Task Clean_judges_merged_against_the_branch_s_recorded_base_not_the_current_HEAD()
    {
        using var repo = await TestRepo.CreateAsync();
        var path = await WorkerAsync(repo, "a");
        await repo.GitAsync("switch", "--quiet", "-c", "topic");
        await repo.GitAsync("merge", "--quiet", "--ff-only", "fleet/sweep/a");
        await repo.GitAsync("switch", "--quiet", "main");

        var outcome = (await CleanAsync(repo)).Outcomes.ShouldHaveSingleItem();

        outcome.Reason.ShouldBe("branch fleet/sweep/a has 1 commit not merged into main");
        Directory.Exists(path).ShouldBeTrue();
    }

    [Fact]
    public async Task Clean_deletes_a_merged_branch_whose_worktree_is_gone_and_keeps_an_unmerged_one()
    {
        using var repo = await TestRepo.CreateAsync();
        var merged = await WorkerAsync(repo, "a");
        await repo.GitAsync("merge", "--quiet", "--ff-only", "fleet/sweep/a");
        var unmerged = await WorkerAsync(repo, "b");
        Directory.Delete(merged, recursive: true);
        Directory.Delete(unmerged, recursive: true);

        var report = await CleanAsync(repo);

        report.Outcomes.ShouldBe([
            new CleanOutcome("a", null, "fleet/sweep/a", CleanAction.Removed, null, true),
            new CleanOutcome("b", null, "fleet/sweep/b", CleanAction.Refused, "branch fleet/sweep/b has 1 commit not merged into main (it has no worktree)", false),
        ]);
        (await BranchExistsAsync(repo, "fleet/sweep/b")).ShouldBeTrue();
    }

    [Fact]
    public async Task Clean_leaves_other_fleets_and_other_branches_alone()
    {
        using var repo = await TestRepo.CreateAsync();
        var other = await _manager.EnsureAsync(repo.Path, "other", "a", null, Ct).DefaultTimeout();
        await _manager.UnlockAsync(other, Ct).DefaultTimeout();
        await repo.GitAsync("branch", "feature");

        var report = await CleanAsync(repo);

        report.Outcomes.ShouldBeEmpty();
        Directory.Exists(other).ShouldBeTrue();
        (await BranchExistsAsync(repo, "fleet/other/a")).ShouldBeTrue();
        (await BranchExistsAsync(repo, "feature")).ShouldBeTrue();
    }

    [Fact]
    public async Task Clean_run_from_inside_a_worker_s_worktree_does_not_remove_that_worktree()
    {
        using var repo = await TestRepo.CreateAsync();
        var path = await WorkerAsync(repo, "a", commits: 0);

        var report = await _manager.CleanAsync(path, "sweep", null, false, Ct).DefaultTimeout();

        report.Outcomes.ShouldHaveSingleItem().Reason.ShouldBe("fleet clean was run from inside this worktree (run it from the main checkout)");
        Directory.Exists(path).ShouldBeTrue();
    }
}
