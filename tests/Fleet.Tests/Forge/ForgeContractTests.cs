using Fleet.Forge;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Forge;

/// <summary>What every forge must do the same way, run against GitHub (the fake gh) and against the local forge.</summary>
public abstract class ForgeContractTests
{
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract Task<IForgeWorld> CreateWorldAsync();

    [Fact]
    public async Task A_ready_forge_passes_its_check()
    {
        using var world = await CreateWorldAsync();

        (await world.Forge.CheckAsync(Ct).DefaultTimeout()).Ok.ShouldBeTrue();
    }

    [Fact]
    public async Task Created_issues_are_listed_by_state_label_and_number_and_read_back_whole()
    {
        using var world = await CreateWorldAsync();
        var forge = world.Forge;
        var bug = await forge.CreateIssueAsync("Crash on empty input", "Run it with no input.", ["bug"], Ct).DefaultTimeout();
        var docs = await forge.CreateIssueAsync("Document status --json", "Say what the fields mean.", ["docs", "good first issue"], Ct).DefaultTimeout();

        (await forge.ListIssuesAsync(new IssueQuery(Label: "bug"), Ct).DefaultTimeout()).Select(i => i.Number).ShouldBe([bug.Number]);
        (await forge.ListIssuesAsync(new IssueQuery(), Ct).DefaultTimeout()).Select(i => i.Number).Order().ShouldBe([bug.Number, docs.Number]);
        (await forge.ListIssuesAsync(new IssueQuery(Numbers: [docs.Number]), Ct).DefaultTimeout()).Select(i => i.Title).ShouldBe(["Document status --json"]);
        (await forge.ListIssuesAsync(new IssueQuery(State: IssueState.Closed), Ct).DefaultTimeout()).ShouldBeEmpty();

        var whole = await forge.GetIssueAsync(docs.Number, Ct).DefaultTimeout();
        (whole.Number, whole.Title, whole.Body, whole.State).ShouldBe((docs.Number, "Document status --json", "Say what the fields mean.", IssueState.Open));
        whole.Labels.ShouldBe(["docs", "good first issue"]);
        whole.Comments.ShouldBeEmpty();
        whole.Url.ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task Issues_and_pull_requests_take_their_numbers_from_one_sequence()
    {
        using var world = await CreateWorldAsync();
        var first = await world.Forge.CreateIssueAsync("One", "1", [], Ct).DefaultTimeout();
        await world.PushAsync("fleet/issue-1", "one");
        var pr = await world.Forge.CreatePullRequestAsync(new NewPullRequest("fleet/issue-1", "main", "One", "Closes #1"), Ct).DefaultTimeout();
        var second = await world.Forge.CreateIssueAsync("Two", "2", [], Ct).DefaultTimeout();

        (first.Number, pr.Number, second.Number).ShouldBe((1, 2, 3));
    }

    [Fact]
    public async Task A_pull_request_lists_the_issues_its_body_closes_and_follows_edits_of_the_body()
    {
        using var world = await CreateWorldAsync();
        var forge = world.Forge;
        var one = await forge.CreateIssueAsync("One", "1", [], Ct).DefaultTimeout();
        var two = await forge.CreateIssueAsync("Two", "2", [], Ct).DefaultTimeout();
        await world.PushAsync("fleet/issue-1", "one");

        var pr = await forge.CreatePullRequestAsync(new NewPullRequest("fleet/issue-1", "main", "One", $"Does one.\n\nFixes #{one.Number}"), Ct).DefaultTimeout();
        pr.ClosingIssues.ShouldBe([one.Number]);
        (await forge.ListOpenPullRequestsAsync(Ct).DefaultTimeout()).Single().ClosingIssues.ShouldBe([one.Number]);

        await forge.EditPullRequestBodyAsync(pr.Number, $"Does both.\n\nCloses #{one.Number}\nResolves #{two.Number}\n\nFleet-Verdict: lgtm", Ct).DefaultTimeout();

        var edited = await forge.GetPullRequestAsync(pr.Number, Ct).DefaultTimeout();
        edited.Body.ShouldEndWith("Fleet-Verdict: lgtm");
        edited.ClosingIssues.ShouldBe([one.Number, two.Number]);
    }

    [Fact]
    public async Task An_open_pull_request_shows_its_branchs_head_and_each_review_keeps_the_head_it_was_given_for()
    {
        using var world = await CreateWorldAsync();
        var forge = world.Forge;
        var first = await world.PushAsync("fleet/issue-1", "first try");
        var pr = await forge.CreatePullRequestAsync(new NewPullRequest("fleet/issue-1", "main", "One", "Closes #9"), Ct).DefaultTimeout();
        (pr.HeadBranch, pr.BaseBranch, pr.HeadSha, pr.State).ShouldBe(("fleet/issue-1", "main", first, PullRequestStates.Open));

        await forge.ReviewPullRequestAsync(pr.Number, ReviewState.ChangesRequested, "verdict: iterate", Ct).DefaultTimeout();
        var second = await world.PushAsync("fleet/issue-1", "second try");
        await forge.ReviewPullRequestAsync(pr.Number, ReviewState.Approved, "verdict: lgtm", Ct).DefaultTimeout();

        var now = await forge.GetPullRequestAsync(pr.Number, Ct).DefaultTimeout();
        now.HeadSha.ShouldBe(second);
        now.Reviews.Select(r => (r.State, r.Body, r.CommitSha)).ShouldBe(
            [(ReviewState.ChangesRequested, "verdict: iterate", first), (ReviewState.Approved, "verdict: lgtm", second)]);
        now.Reviews.ShouldAllBe(r => r.Author.Length > 0 && r.SubmittedAt != null);
    }

    [Fact]
    public async Task Merge_is_refused_when_the_head_is_no_longer_the_approved_commit()
    {
        using var world = await CreateWorldAsync();
        var forge = world.Forge;
        var issue = await forge.CreateIssueAsync("One", "1", [], Ct).DefaultTimeout();
        var approved = await world.PushAsync("fleet/issue-1", "approved");
        var pr = await forge.CreatePullRequestAsync(new NewPullRequest("fleet/issue-1", "main", "One", $"Closes #{issue.Number}"), Ct).DefaultTimeout();
        await forge.ReviewPullRequestAsync(pr.Number, ReviewState.Approved, "verdict: lgtm", Ct).DefaultTimeout();
        var moved = await world.PushAsync("fleet/issue-1", "pushed after approval");

        var error = await Should.ThrowAsync<ForgeException>(forge.MergePullRequestAsync(pr.Number, approved, Ct).DefaultTimeout());

        error.Message.ShouldContain($"refusing to merge pull request #{pr.Number}");
        error.Message.ShouldContain(approved);
        error.Message.ShouldContain(moved);
        (await forge.ListOpenPullRequestsAsync(Ct).DefaultTimeout()).Select(p => p.Number).ShouldBe([pr.Number]);
        (await forge.GetIssueAsync(issue.Number, Ct).DefaultTimeout()).State.ShouldBe(IssueState.Open);
    }

    [Fact]
    public async Task Merge_at_the_approved_commit_merges_the_pull_request_and_closes_the_issues_it_closes()
    {
        using var world = await CreateWorldAsync();
        var forge = world.Forge;
        var closes = await forge.CreateIssueAsync("One", "1", [], Ct).DefaultTimeout();
        var untouched = await forge.CreateIssueAsync("Two", "2", [], Ct).DefaultTimeout();
        var head = await world.PushAsync("fleet/issue-1", "done");
        var pr = await forge.CreatePullRequestAsync(new NewPullRequest("fleet/issue-1", "main", "One", $"Closes #{closes.Number}"), Ct).DefaultTimeout();

        await forge.MergePullRequestAsync(pr.Number, head, Ct).DefaultTimeout();

        (await forge.ListOpenPullRequestsAsync(Ct).DefaultTimeout()).ShouldBeEmpty();
        var merged = await forge.GetPullRequestAsync(pr.Number, Ct).DefaultTimeout();
        (merged.State, merged.HeadSha).ShouldBe((PullRequestStates.Merged, head));
        (await forge.GetIssueAsync(closes.Number, Ct).DefaultTimeout()).State.ShouldBe(IssueState.Closed);
        (await forge.ListIssuesAsync(new IssueQuery(), Ct).DefaultTimeout()).Select(i => i.Number).ShouldBe([untouched.Number]);
        await Should.ThrowAsync<ForgeException>(forge.MergePullRequestAsync(pr.Number, head, Ct).DefaultTimeout());
    }

    [Fact]
    public async Task A_second_open_pull_request_for_the_same_branch_is_refused()
    {
        using var world = await CreateWorldAsync();
        await world.PushAsync("fleet/issue-1", "one");
        var first = await world.Forge.CreatePullRequestAsync(new NewPullRequest("fleet/issue-1", "main", "One", "Closes #1"), Ct).DefaultTimeout();

        var error = await Should.ThrowAsync<ForgeException>(world.Forge.CreatePullRequestAsync(new NewPullRequest("fleet/issue-1", "main", "Again", "Closes #1"), Ct).DefaultTimeout());

        error.Message.ShouldContain("already exists");
        error.Message.ShouldContain(first.Number.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Reading_an_issue_or_pull_request_that_does_not_exist_is_a_forge_error_naming_its_number()
    {
        using var world = await CreateWorldAsync();

        (await Should.ThrowAsync<ForgeException>(world.Forge.GetIssueAsync(42, Ct).DefaultTimeout())).Message.ShouldContain("42");
        (await Should.ThrowAsync<ForgeException>(world.Forge.GetPullRequestAsync(43, Ct).DefaultTimeout())).Message.ShouldContain("43");
    }
}

public sealed class LocalForgeContractTests : ForgeContractTests
{
    protected override async Task<IForgeWorld> CreateWorldAsync() => await LocalForgeWorld.CreateAsync();
}

public sealed class GhForgeContractTests : ForgeContractTests
{
    protected override Task<IForgeWorld> CreateWorldAsync() => Task.FromResult<IForgeWorld>(new GhForgeWorld());
}
