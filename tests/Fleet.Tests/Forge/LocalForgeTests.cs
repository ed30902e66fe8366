using System.Diagnostics;
using System.Text.Json.Nodes;
using Fleet.Forge;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Worktrees;

namespace Fleet.Tests.Forge;

/// <summary>The local forge with real git repositories: real merges, hand-written records, the lock between writers.</summary>
public sealed class LocalForgeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(LocalForgeWorld World, ForgeIssue Issue, ForgePullRequest Pr, string Head)> OpenPullRequestAsync()
    {
        var world = await LocalForgeWorld.CreateAsync();
        var issue = await world.Local.AddIssueAsync("Add a greeting", "work.txt should greet.", ["enhancement"], Ct).DefaultTimeout();
        var head = await world.PushAsync("fleet/issue-1", "hello");
        var pr = await world.Forge.CreatePullRequestAsync(new NewPullRequest("fleet/issue-1", "main", "Add a greeting", "Closes #1"), Ct).DefaultTimeout();
        return (world, issue, pr, head);
    }

    [Fact]
    public async Task Merge_makes_a_merge_commit_of_the_approved_commit_on_the_checked_out_base_and_records_it()
    {
        var (world, _, pr, head) = await OpenPullRequestAsync();
        using var _ = world;
        var before = await world.Repo.GitAsync("rev-parse", "main");

        await world.Forge.MergePullRequestAsync(pr.Number, head, Ct).DefaultTimeout();

        var parents = (await world.Repo.GitAsync("rev-list", "--parents", "-n", "1", "main")).Split(' ');
        parents[1..].ShouldBe([before, head]);
        (await world.Repo.GitAsync("log", "-1", "--format=%s", "main")).ShouldBe("Merge pull request #2 from fleet/issue-1");
        File.ReadAllText(Path.Combine(world.Repo.Path, "work.txt")).ShouldBe("hello");
        (await world.Repo.GitAsync("status", "--porcelain")).ShouldBeEmpty();

        var record = JsonNode.Parse(File.ReadAllText(Path.Combine(world.ForgeDir, "pulls", "2.json")))!;
        ((string?)record["state"], (string?)record["head_sha"], (string?)record["merge_commit"]).ShouldBe(("merged", head, parents[0]));
        var issue = JsonNode.Parse(File.ReadAllText(Path.Combine(world.ForgeDir, "issues", "1.json")))!;
        ((string?)issue["state"], (int?)issue["closed_by"]).ShouldBe(("closed", 2));
    }

    [Fact]
    public async Task Merge_refuses_when_the_base_branch_is_not_checked_out_in_the_repository()
    {
        var (world, _, pr, head) = await OpenPullRequestAsync();
        using var _ = world;
        await world.Repo.GitAsync("switch", "--quiet", "-c", "elsewhere");

        var error = await Should.ThrowAsync<ForgeException>(world.Forge.MergePullRequestAsync(pr.Number, head, Ct).DefaultTimeout());

        error.Message.ShouldBe($"cannot merge pull request #2: the local forge merges into the checked-out branch, and {world.Repo.Path} has elsewhere checked out, not main; check out main there and merge again");
        (await world.Forge.GetPullRequestAsync(pr.Number, Ct).DefaultTimeout()).State.ShouldBe(PullRequestStates.Open);
    }

    [Fact]
    public async Task Merge_refuses_while_tracked_files_have_uncommitted_changes_but_not_for_untracked_files()
    {
        var (world, _, pr, head) = await OpenPullRequestAsync();
        using var _ = world;
        world.Repo.Write("README.md", "edited, not committed\n");
        world.Repo.Write("notes.txt", "untracked\n");

        var error = await Should.ThrowAsync<ForgeException>(world.Forge.MergePullRequestAsync(pr.Number, head, Ct).DefaultTimeout());
        error.Message.ShouldStartWith($"cannot merge pull request #2: {world.Repo.Path} has uncommitted changes to tracked files");
        error.Message.ShouldContain("M README.md");

        await world.Repo.GitAsync("checkout", "--", "README.md");
        await world.Forge.MergePullRequestAsync(pr.Number, head, Ct).DefaultTimeout();
        (await world.Forge.GetPullRequestAsync(pr.Number, Ct).DefaultTimeout()).State.ShouldBe(PullRequestStates.Merged);
    }

    [Fact]
    public async Task A_merge_that_conflicts_is_aborted_and_the_pull_request_stays_open()
    {
        var (world, _, pr, head) = await OpenPullRequestAsync();
        using var _ = world;
        world.Repo.Write("work.txt", "main wrote this first");
        await TestRepo.CommitInAsync(world.Repo.Path, "conflicting work on main");

        var error = await Should.ThrowAsync<ForgeException>(world.Forge.MergePullRequestAsync(pr.Number, head, Ct).DefaultTimeout());

        error.Message.ShouldStartWith("cannot merge pull request #2 (fleet/issue-1 into main)");
        error.Message.ShouldContain("CONFLICT");
        error.Message.ShouldEndWith("the merge was aborted");
        (await world.Repo.GitAsync("status", "--porcelain")).ShouldBeEmpty();
        (await world.Forge.GetPullRequestAsync(pr.Number, Ct).DefaultTimeout()).State.ShouldBe(PullRequestStates.Open);
        (await world.Forge.GetIssueAsync(1, Ct).DefaultTimeout()).State.ShouldBe(IssueState.Open);
    }

    [Fact]
    public async Task Opening_a_pull_request_needs_both_branches_and_a_commit_between_them()
    {
        using var world = await LocalForgeWorld.CreateAsync();
        await world.Repo.GitAsync("branch", "empty", "main");
        await world.PushAsync("fleet/issue-1", "work");

        async Task<string> Refused(string head, string @base) =>
            (await Should.ThrowAsync<ForgeException>(world.Forge.CreatePullRequestAsync(new NewPullRequest(head, @base, "t", "b"), Ct).DefaultTimeout())).Message;

        (await Refused("nope", "main")).ShouldBe($"cannot open a pull request from nope: there is no branch nope in {world.Repo.Path}");
        (await Refused("fleet/issue-1", "trunk")).ShouldBe($"cannot open a pull request into trunk: there is no branch trunk in {world.Repo.Path}");
        (await Refused("empty", "main")).ShouldBe("cannot open a pull request from empty into main: no commits between main and empty");
        Directory.EnumerateFiles(Path.Combine(world.ForgeDir, "pulls")).ShouldBeEmpty();
    }

    [Fact]
    public async Task Many_writers_racing_in_parallel_never_get_the_same_number()
    {
        using var world = await LocalForgeWorld.CreateAsync();
        // Separate instances open the lock file separately, so they contend on the kernel's flock exactly as processes do.
        var writers = Enumerable.Range(0, 4).Select(_ => new LocalForge(world.ForgeDir, world.Repo.Path)).ToList();

        var created = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            Task.Run(() => writers[i % writers.Count].AddIssueAsync($"Issue {i}", "", [], Ct), Ct))).DefaultTimeout();

        created.Select(i => i.Number).Order().ShouldBe(Enumerable.Range(1, 40));
        Directory.EnumerateFiles(Path.Combine(world.ForgeDir, "issues"), "*.json").Count().ShouldBe(40);
        Directory.EnumerateFiles(Path.Combine(world.ForgeDir, "issues"), "*.tmp").ShouldBeEmpty();
    }

    [Fact]
    public async Task A_writer_waits_while_another_process_holds_the_forge_lock()
    {
        using var world = await LocalForgeWorld.CreateAsync();
        var lockPath = Path.Combine(world.ForgeDir, LocalForge.LockFile);
        var psi = new ProcessStartInfo("flock") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { lockPath, "-c", "echo held; read line" })
        {
            psi.ArgumentList.Add(arg);
        }

        using var holder = Process.Start(psi)!;
        (await holder.StandardOutput.ReadLineAsync(Ct).AsTask().DefaultTimeout()).ShouldBe("held");

        var adding = world.Local.AddIssueAsync("Waits its turn", "", [], Ct);
        // While flock(1) holds the lock the writer cannot finish, however long this waits.
        (await Task.WhenAny(adding, Task.Delay(500, Ct))).ShouldNotBe(adding);

        await holder.StandardInput.WriteLineAsync("release");
        holder.StandardInput.Close();
        (await adding.DefaultTimeout()).Number.ShouldBe(1);
        await holder.WaitForExitAsync(Ct).DefaultTimeout();
    }

    [Fact]
    public async Task A_hand_written_issue_needs_only_a_title_and_the_next_number_follows_it()
    {
        using var world = await LocalForgeWorld.CreateAsync();
        File.WriteAllText(Path.Combine(world.ForgeDir, "issues", "7.json"), """
            {
              // written by a person
              "title": "Make the banner blue",
            }
            """);

        var issue = (await world.Forge.ListIssuesAsync(new IssueQuery(), Ct).DefaultTimeout()).Single();
        var next = await world.Local.AddIssueAsync("Next", "", [], Ct).DefaultTimeout();

        (issue.Number, issue.Title, issue.Body, issue.State, issue.Labels.Count, issue.Comments.Count).ShouldBe((7, "Make the banner blue", "", IssueState.Open, 0, 0));
        issue.Url.ShouldBe(Path.Combine(world.ForgeDir, "issues", "7.json"));
        next.Number.ShouldBe(8);
    }

    [Fact]
    public async Task A_broken_record_is_reported_with_its_file_and_line()
    {
        using var world = await LocalForgeWorld.CreateAsync();
        var file = Path.Combine(world.ForgeDir, "issues", "3.json");
        File.WriteAllText(file, "{\n  \"title\": \"x\",\n  \"labels\": [bug]\n}\n");

        var error = await Should.ThrowAsync<ForgeException>(world.Forge.GetIssueAsync(3, Ct).DefaultTimeout());

        error.Message.ShouldStartWith($"{file}: not a valid record at line 3:");
    }

    [Fact]
    public async Task A_record_whose_number_disagrees_with_its_file_name_or_that_has_no_title_is_refused()
    {
        using var world = await LocalForgeWorld.CreateAsync();
        var issues = Path.Combine(world.ForgeDir, "issues");
        File.WriteAllText(Path.Combine(issues, "4.json"), """{ "number": 5, "title": "copied from 5.json" }""");
        File.WriteAllText(Path.Combine(issues, "6.json"), """{ "body": "no title" }""");

        (await Should.ThrowAsync<ForgeException>(world.Forge.GetIssueAsync(4, Ct).DefaultTimeout())).Message
            .ShouldBe($"{Path.Combine(issues, "4.json")}: says number 5, but its file name says 4");
        (await Should.ThrowAsync<ForgeException>(world.Forge.GetIssueAsync(6, Ct).DefaultTimeout())).Message
            .ShouldBe($"{Path.Combine(issues, "6.json")}: an issue needs a \"title\"");
    }

    [Fact]
    public async Task Issue_comments_written_for_scaffolding_are_read_back_in_order()
    {
        using var world = await LocalForgeWorld.CreateAsync();
        var issue = await world.Local.AddIssueAsync("Flaky test", "It fails one run in ten.", ["bug"], Ct).DefaultTimeout();

        await world.Local.AddIssueCommentAsync(issue.Number, "ada", "Seen on CI too.", Ct).DefaultTimeout();
        await world.Local.AddIssueCommentAsync(issue.Number, "linus", "I'm on it.", Ct).DefaultTimeout();

        (await world.Forge.GetIssueAsync(issue.Number, Ct).DefaultTimeout()).Comments.Select(c => (c.Author, c.Body)).ShouldBe(
            [("ada", "Seen on CI too."), ("linus", "I'm on it.")]);
    }

    [Fact]
    public async Task Records_are_snake_case_files_with_reviews_comments_and_the_head_each_review_saw()
    {
        var (world, _, pr, head) = await OpenPullRequestAsync();
        using var _ = world;
        await world.Forge.ReviewPullRequestAsync(pr.Number, ReviewState.ChangesRequested, "Say \"hello\" with a capital H.", Ct).DefaultTimeout();
        await world.Forge.CommentOnPullRequestAsync(pr.Number, "SDET: ran it, it greets.", Ct).DefaultTimeout();

        var text = File.ReadAllText(Path.Combine(world.ForgeDir, "pulls", "2.json"));
        var record = JsonNode.Parse(text)!.AsObject();

        record.Select(p => p.Key).ShouldBe(["number", "title", "body", "head", "base", "state", "author", "created_at", "reviews", "comments"]);
        var review = record["reviews"]![0]!.AsObject();
        review.Select(p => p.Key).ShouldBe(["author", "state", "body", "commit_sha", "submitted_at"]);
        ((string?)review["state"], (string?)review["commit_sha"], (string?)review["author"]).ShouldBe(("changes_requested", head, "fleet-bot"));
        text.ShouldContain("Say \\\"hello\\\" with a capital H.");
        ((string?)record["comments"]![0]!["body"]).ShouldBe("SDET: ran it, it greets.");
    }

    [Fact]
    public async Task Check_names_a_missing_forge_folder_and_how_to_make_it()
    {
        using var repo = await TestRepo.CreateAsync();
        var missing = repo.Temp.Combine("no-forge");

        var check = await new LocalForge(missing, repo.Path).CheckAsync(Ct).DefaultTimeout();

        check.ShouldBe(new ForgeCheck(false, $"no local forge at {missing}; create it with: mkdir -p {missing}/issues {missing}/pulls"));
        (await Should.ThrowAsync<ForgeException>(new LocalForge(missing, repo.Path).EditPullRequestBodyAsync(1, "x", Ct).DefaultTimeout())).Message
            .ShouldStartWith($"no local forge at {missing}");
    }

    [Fact]
    public async Task Check_says_when_the_repository_is_not_a_git_repository()
    {
        using var dir = new TempDir();
        LocalForge.Create(dir.Combine("forge"));

        var check = await new LocalForge(dir.Combine("forge"), dir.Path).CheckAsync(Ct).DefaultTimeout();

        check.Ok.ShouldBeFalse();
        check.Message.ShouldBe($"local forge {dir.Combine("forge")}: {dir.Path} is not a git repository, and its pull requests are branches of one");
    }

    [Theory]
    [InlineData("Closes #12", new[] { 12 })]
    [InlineData("fixes #3 and resolves #4\nFIXED: #5", new[] { 3, 4, 5 })]
    [InlineData("Close #1, close #1 again", new[] { 1 })]
    [InlineData("See #7; prefixes #8; #9 closes nothing", new int[0])]
    [InlineData("Closes#2 needs a space; Closes #x is no number", new int[0])]
    public void Closing_issues_are_GitHubs_keywords_before_a_number(string body, int[] expected) =>
        LocalForge.ClosingIssues(body).ShouldBe(expected);
}
