using Fleet.Forge;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Forge;

/// <summary>GhForge against the fake gh on PATH: the exact argv of every call, what it reads back, and its failures.</summary>
public sealed class GhForgeTests : IDisposable
{
    private readonly FakeGhInstall _gh = new();
    private readonly TempDir _repo = new("fleet-ghrepo-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _gh.Dispose();
        _repo.Dispose();
    }

    /// <summary>A backlog: #1 (bug, with a comment), #2 (feature), #3 (closed); octocat's PR #4 closing #1; branch fleet/issue-2 pushed.</summary>
    private void SeedBacklog()
    {
        _gh.AddIssue(1, "Crash on empty input", "Steps: run it with no input.", ["bug"], "OPEN", ("octocat", "Still happens on 2.1"));
        _gh.AddIssue(2, "Add --json to status", "Machine-readable status.", ["enhancement"]);
        _gh.AddIssue(3, "Old thing", "Done already.", ["bug"], "CLOSED");
        _gh.Push("octocat/fix-crash", FakeGhInstall.Sha('a'));
        _gh.AddPull(4, "octocat/fix-crash", "Fix the crash", "Guard the empty case.\n\nFixes #1");
        _gh.Push("fleet/issue-2", FakeGhInstall.Sha('b'));
    }

    [Fact]
    public async Task The_gh_forge_runs_exactly_the_documented_gh_commands_in_the_repository()
    {
        SeedBacklog();
        var forge = _gh.Forge(_repo.Path);

        (await forge.CheckAsync(Ct).DefaultTimeout()).Ok.ShouldBeTrue();

        var bugs = await forge.ListIssuesAsync(new IssueQuery(Label: "bug"), Ct).DefaultTimeout();
        bugs.Select(i => i.Number).ShouldBe([1]);
        bugs[0].Labels.ShouldBe(["bug"]);
        bugs[0].Url.ShouldBe("https://github.com/octo/widgets/issues/1");

        var picked = await forge.ListIssuesAsync(new IssueQuery(Numbers: [2, 3], State: IssueState.All), Ct).DefaultTimeout();
        picked.Select(i => (i.Number, i.State)).ShouldBe([(3, IssueState.Closed), (2, IssueState.Open)]);

        var issue = await forge.GetIssueAsync(1, Ct).DefaultTimeout();
        issue.Body.ShouldBe("Steps: run it with no input.");
        issue.Comments.ShouldBe([new ForgeComment("octocat", "Still happens on 2.1", new DateTimeOffset(2026, 2, 2, 10, 0, 0, TimeSpan.Zero))]);

        var open = await forge.ListOpenPullRequestsAsync(Ct).DefaultTimeout();
        var pr = open.Single();
        (pr.Number, pr.Title, pr.Body, pr.HeadBranch, pr.BaseBranch, pr.HeadSha, pr.State, pr.Url).ShouldBe(
            (4, "Fix the crash", "Guard the empty case.\n\nFixes #1", "octocat/fix-crash", "main", FakeGhInstall.Sha('a'), PullRequestStates.Open, "https://github.com/octo/widgets/pull/4"));
        pr.ClosingIssues.ShouldBe([1]);
        pr.Reviews.ShouldBeEmpty();

        var created = await forge.CreatePullRequestAsync(new NewPullRequest("fleet/issue-2", "main", "Add --json to status", "Closes #2"), Ct).DefaultTimeout();
        created.Number.ShouldBe(5);
        created.HeadSha.ShouldBe(FakeGhInstall.Sha('b'));
        created.ClosingIssues.ShouldBe([2]);

        await forge.EditPullRequestBodyAsync(5, "Closes #2\n\nFleet-Verdict: lgtm; reviewer=codex/gpt-5-codex; iteration=1", Ct).DefaultTimeout();
        await forge.ReviewPullRequestAsync(4, ReviewState.ChangesRequested, "The guard misses whitespace-only input.", Ct).DefaultTimeout();
        await forge.ReviewPullRequestAsync(4, ReviewState.Approved, "Looks right now.", Ct).DefaultTimeout();
        await forge.CommentOnPullRequestAsync(5, "SDET report: built it, ran status --json, output parses.", Ct).DefaultTimeout();

        var reviewed = await forge.GetPullRequestAsync(4, Ct).DefaultTimeout();
        reviewed.Reviews.Select(r => (r.Author, r.State, r.CommitSha)).ShouldBe(
            [("fleet-bot", ReviewState.ChangesRequested, FakeGhInstall.Sha('a')), ("fleet-bot", ReviewState.Approved, FakeGhInstall.Sha('a'))]);

        await forge.MergePullRequestAsync(4, FakeGhInstall.Sha('a'), Ct).DefaultTimeout();
        (await forge.GetIssueAsync(1, Ct).DefaultTimeout()).State.ShouldBe(IssueState.Closed);

        var retro = await forge.CreateIssueAsync("Fleet retro: run 7", "Gates: 2", ["fleet-retro", "report"], Ct).DefaultTimeout();
        retro.Number.ShouldBe(6);
        retro.Labels.ShouldBe(["fleet-retro", "report"]);

        _gh.Calls().ShouldAllBe(c => c.Cwd == _repo.Path);
        Golden.Match(_gh.LogFor(_repo.Path), "gh-scenario.argv.jsonl");
    }

    [Fact]
    public async Task Approving_its_own_pull_request_falls_back_to_a_comment_review_that_says_the_approval_was_not_recorded()
    {
        SeedBacklog();
        var forge = _gh.Forge(_repo.Path);
        var own = await forge.CreatePullRequestAsync(new NewPullRequest("fleet/issue-2", "main", "Add --json", "Closes #2"), Ct).DefaultTimeout();

        await forge.ReviewPullRequestAsync(own.Number, ReviewState.Approved, "verdict: lgtm", Ct).DefaultTimeout();

        _gh.Calls().TakeLast(2).Select(c => c.Line).ShouldBe(
        [
            "pr review 5 --approve --body verdict: lgtm",
            $"pr review 5 --comment --body {GhForge.OwnApprovalNote}\n\nverdict: lgtm",
        ]);
        var review = (await forge.GetPullRequestAsync(own.Number, Ct).DefaultTimeout()).Reviews.Single();
        review.State.ShouldBe(ReviewState.Commented);
        review.Body.ShouldStartWith(GhForge.OwnApprovalNote);
        review.Body.ShouldEndWith("verdict: lgtm");
        review.CommitSha.ShouldBe(FakeGhInstall.Sha('b'));
    }

    [Fact]
    public async Task Requesting_changes_on_its_own_pull_request_falls_back_to_a_comment_review_that_says_so()
    {
        SeedBacklog();
        var forge = _gh.Forge(_repo.Path);
        var own = await forge.CreatePullRequestAsync(new NewPullRequest("fleet/issue-2", "main", "Add --json", "Closes #2"), Ct).DefaultTimeout();

        await forge.ReviewPullRequestAsync(own.Number, ReviewState.ChangesRequested, "verdict: iterate", Ct).DefaultTimeout();

        var review = (await forge.GetPullRequestAsync(own.Number, Ct).DefaultTimeout()).Reviews.Single();
        review.State.ShouldBe(ReviewState.Commented);
        review.Body.ShouldBe(GhForge.OwnChangeRequestNote + "\n\nverdict: iterate");
    }

    [Fact]
    public async Task An_approval_refused_with_GitHubs_own_pull_request_words_falls_back_whoever_the_author()
    {
        SeedBacklog();
        var forge = _gh.Forge(_repo.Path, new Dictionary<string, string?> { ["FAKE_GH_FAIL"] = "pr review --approve" });

        await forge.ReviewPullRequestAsync(4, ReviewState.Approved, "ok", Ct).DefaultTimeout();

        _gh.Calls().Select(c => c.Argv[3]).ShouldBe(["--approve", "--comment"]);
    }

    [Fact]
    public async Task Any_other_review_failure_is_reported_and_never_turned_into_a_comment()
    {
        SeedBacklog();
        var forge = _gh.Forge(_repo.Path, new Dictionary<string, string?>
        {
            ["FAKE_GH_FAIL"] = "pr review --approve",
            ["FAKE_GH_FAIL_MESSAGE"] = "HTTP 502: Bad Gateway (https://api.github.com/graphql)",
        });

        var error = await Should.ThrowAsync<ForgeException>(forge.ReviewPullRequestAsync(4, ReviewState.Approved, "ok", Ct).DefaultTimeout());

        error.Message.ShouldBe($"gh pr review 4 --approve --body ok failed in {_repo.Path} (exit 1): HTTP 502: Bad Gateway (https://api.github.com/graphql)");
        _gh.Calls().Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_failed_gh_call_names_the_command_the_folder_and_what_gh_said()
    {
        var forge = _gh.Forge(_repo.Path);

        var error = await Should.ThrowAsync<ForgeException>(forge.GetPullRequestAsync(99, Ct).DefaultTimeout());

        error.Message.ShouldBe(
            $"gh pr view 99 --json number,title,body,headRefName,baseRefName,headRefOid,url,state,closingIssuesReferences,reviews failed in {_repo.Path} (exit 1): " +
            "GraphQL: Could not resolve to a PullRequest with the number of 99. (repository.pullRequest)");
    }

    [Fact]
    public async Task Error_messages_cut_long_bodies_and_mask_anything_that_looks_like_a_token()
    {
        SeedBacklog();
        var token = "ghp_" + new string('x', 36);
        var forge = _gh.Forge(_repo.Path, new Dictionary<string, string?>
        {
            ["FAKE_GH_FAIL"] = "pr comment",
            ["FAKE_GH_FAIL_MESSAGE"] = $"HTTP 401: Bad credentials (token {token})",
        });

        var error = await Should.ThrowAsync<ForgeException>(forge.CommentOnPullRequestAsync(4, string.Concat(Enumerable.Repeat("long body ", 50)), Ct).DefaultTimeout());

        error.Message.ShouldNotContain(token);
        error.Message.ShouldContain("ghp_***");
        error.Message.ShouldContain("gh pr comment 4 --body 'long body long body");
        error.Message.Length.ShouldBeLessThan(300);
    }

    [Fact]
    public async Task A_merge_GitHub_refuses_because_the_head_moved_names_the_expected_and_the_actual_commit()
    {
        SeedBacklog();
        var forge = _gh.Forge(_repo.Path);
        _gh.Push("octocat/fix-crash", FakeGhInstall.Sha('c'));

        var error = await Should.ThrowAsync<ForgeException>(forge.MergePullRequestAsync(4, FakeGhInstall.Sha('a'), Ct).DefaultTimeout());

        error.Message.ShouldStartWith($"refusing to merge pull request #4: its head is now {FakeGhInstall.Sha('c')}, not the expected {FakeGhInstall.Sha('a')} (it changed after approval).");
        error.Message.ShouldContain("Head branch was modified");
        (await forge.GetPullRequestAsync(4, Ct).DefaultTimeout()).State.ShouldBe(PullRequestStates.Open);
    }

    [Fact]
    public async Task Check_says_gh_is_not_authenticated_with_ghs_words_and_what_to_run()
    {
        var forge = _gh.Forge(_repo.Path, new Dictionary<string, string?> { ["FAKE_GH_UNAUTHENTICATED"] = "1" });

        var check = await forge.CheckAsync(Ct).DefaultTimeout();

        check.ShouldBe(new ForgeCheck(false, "gh is not authenticated: You are not logged into any GitHub hosts. To log in, run: gh auth login; run gh auth login"));
        _gh.Calls().Single().Line.ShouldBe("auth status");
    }

    [Fact]
    public async Task Check_says_gh_is_not_installed_and_other_calls_fail_saying_the_same()
    {
        using var empty = new TempDir("fleet-nogh-");
        var forge = new GhForge(_repo.Path, new GhForgeOptions { Environment = new Dictionary<string, string?> { ["PATH"] = empty.Path } });

        var check = await forge.CheckAsync(Ct).DefaultTimeout();
        var error = await Should.ThrowAsync<ForgeException>(forge.ListOpenPullRequestsAsync(Ct).DefaultTimeout());

        check.Ok.ShouldBeFalse();
        check.Message.ShouldStartWith("gh is not installed (gh was not found on PATH)");
        error.Message.ShouldContain("gh is not installed");
    }

    [Fact]
    public async Task Gh_runs_without_prompts_update_notices_colour_or_a_pager()
    {
        var forge = _gh.Forge(_repo.Path, new Dictionary<string, string?> { ["FAKE_GH_LOG_ENV"] = "1" });

        await forge.CheckAsync(Ct).DefaultTimeout();

        _gh.Calls().Single().Env.ShouldBe(new Dictionary<string, string?>
        {
            ["GH_PROMPT_DISABLED"] = "1",
            ["GH_NO_UPDATE_NOTIFIER"] = "1",
            ["NO_COLOR"] = "1",
            ["GH_PAGER"] = "cat",
        });
    }

    [Fact]
    public async Task A_gh_call_that_outlives_its_deadline_is_killed_and_reported()
    {
        using var bin = new TempDir("fleet-slowgh-");
        var gh = bin.Write("gh", "#!/bin/sh\nexec sleep 60\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(gh, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }

        var forge = new GhForge(_repo.Path, new GhForgeOptions { Executable = gh, CallTimeout = TimeSpan.FromSeconds(1) });

        var error = await Should.ThrowAsync<ForgeException>(forge.GetIssueAsync(1, Ct).DefaultTimeout());

        error.Message.ShouldStartWith("gh issue view 1 --json number,title,body,labels,state,url,comments failed in");
        error.Message.ShouldContain("(did not finish)");
    }

}
