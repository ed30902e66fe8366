using Fleet.Forge;
using Fleet.Reviews;
using Fleet.Team;

namespace Fleet.Tests.Team;

/// <summary>The pure decisions of waves on approved work and CI feedback: where a squad starts, where stacked pull requests go, whether checks let a head be approved or merged.</summary>
public sealed class WavesOnApprovedWorkTests
{
    public static TheoryData<string, string[], string, string, string[]> StartCases() => new()
    {
        { "no unmerged need starts from the base (with --merge the needed work is in it)", [], "main", "main", [] },
        { "one unmerged need: stacked on its branch, the pull request based on it", ["fleet/issue-1"], "fleet/issue-1", "fleet/issue-1", [] },
        { "two unmerged needs: stacked on the first, the second merged in", ["fleet/issue-1", "fleet/issue-4"], "fleet/issue-1", "fleet/issue-1", ["fleet/issue-4"] },
        { "a bundle needed twice counts once", ["fleet/issue-1", "fleet/issue-1"], "fleet/issue-1", "fleet/issue-1", [] },
    };

    [Theory]
    [MemberData(nameof(StartCases))]
    public void A_squad_starts_from_the_approved_work_it_needs(string name, string[] unmerged, string from, string pullRequestBase, string[] mergeIn)
    {
        var start = Stacking.For("main", unmerged);
        start.From.ShouldBe(from, name);
        start.PullRequestBase.ShouldBe(pullRequestBase, name);
        start.MergeIn.ShouldBe(mergeIn, name);
    }

    private static ForgePullRequest Pr(int number, string head, string @base, string? sha = "abc") =>
        new(number, $"PR {number}", "", head, @base, sha, "OPEN", $"u{number}", [], []);

    [Fact]
    public void When_a_pull_request_merges_the_ones_stacked_on_its_branch_go_to_its_base()
    {
        var merged = Pr(41, "fleet/issue-1", "main");
        var moves = TeamMerger.Retargets([Pr(44, "fleet/issue-4", "fleet/issue-1"), Pr(42, "fleet/issue-2", "fleet/issue-1"), Pr(43, "fleet/issue-3", "main"), merged], merged);
        moves.ShouldBe([(42, "main"), (44, "main")]);
    }

    public static TheoryData<string, string[], string, string> JudgeCases() => new()
    {
        { "no checks at all is green: nothing failed", [], "green", "" },
        { "passed and skipped are green", ["build:pass", "docs:skipping"], "green", "" },
        { "one failure is red and named", ["build:pass", "tests:fail"], "red", "tests failed" },
        { "a cancelled check is red", ["tests:cancel"], "red", "tests was cancelled" },
        { "a pending check is pending, not green", ["build:pass", "lint:pending"], "pending", "lint has not finished" },
        { "red wins over pending", ["lint:pending", "tests:fail"], "red", "tests failed" },
        { "an unknown state is not green", ["odd:queued"], "pending", "odd has not finished" },
    };

    [Theory]
    [MemberData(nameof(JudgeCases))]
    public void Checks_are_green_only_when_nothing_failed_or_is_unfinished(string name, string[] checks, string status, string summary)
    {
        var verdict = ChecksGate.Judge([.. checks.Select(c => c.Split(':')).Select(p => new ForgeCheckRun(p[0], p[1]))]);
        verdict.Status.ShouldBe(status, name);
        verdict.Summary.ShouldBe(summary, name);
    }

    [Fact]
    public void A_red_head_puts_the_failing_checks_name_link_and_log_tail_in_the_briefs_and_a_green_one_nothing()
    {
        var log = string.Join('\n', Enumerable.Range(1, 100).Select(i => $"line {i}")) + "\nFAIL: test_total expected 3 got 2\n";
        var red = ChecksGate.Judge([new ForgeCheckRun("checks", "fail", "/squad/iterations/1/checks.log", ChecksGate.Tail(log))]);

        var section = ChecksGate.BriefSection(red, 1, "0123456789abcdef0123")!;

        section.ShouldStartWith("## The pull request's checks are not green (iteration 1, head 0123456789ab)");
        section.ShouldContain("### checks: fail (/squad/iterations/1/checks.log)");
        section.ShouldContain("FAIL: test_total expected 3 got 2");
        section.ShouldContain("line 100");
        section.ShouldNotContain("line 60\n", customMessage: "only the log's tail");
        ChecksGate.BriefSection(ChecksGate.Judge([new ForgeCheckRun("checks", "pass")]), 2, "abc").ShouldBeNull();
    }

    public static TheoryData<string, string, string?, string> CapCases() => new()
    {
        { "an lgtm with nothing blocking stands", "lgtm", null, "lgtm" },
        { "an lgtm for a red head counts as iterate", "lgtm", "the checks at head abc are not green: tests failed", "iterate" },
        { "iterate stays iterate", "iterate", "red", "iterate" },
        { "escalate stays escalate", "escalate", "red", "escalate" },
        { "a blank block blocks nothing", "lgtm", "  \n", "lgtm" },
    };

    [Theory]
    [MemberData(nameof(CapCases))]
    public void A_reviewer_cannot_approve_a_head_whose_checks_are_red(string name, string verdict, string? block, string expected)
    {
        var capped = ReviewVerdicts.Capped(new ReviewVerdict(verdict, "looks fine", "review.md"), block);
        capped.Verdict.ShouldBe(expected, name);
        if (expected != verdict)
        {
            capped.Reason.ShouldBe($"lgtm refused: {block!.Trim()}");
        }
    }

    [Fact]
    public void Team_merge_refuses_a_head_whose_checks_are_not_green_saying_which()
    {
        var pr = Pr(41, "fleet/issue-1", "main", "0123456789abcdef");
        TeamMerger.ChecksRefusal(pr, ChecksGate.Judge([new ForgeCheckRun("build", "pass"), new ForgeCheckRun("tests", "fail")]))
            .ShouldBe("its checks at head 0123456789ab are not green: tests failed");
        TeamMerger.ChecksRefusal(pr, ChecksGate.Judge([new ForgeCheckRun("tests", "pending")]))
            .ShouldBe("its checks at head 0123456789ab are not green: tests has not finished");
        TeamMerger.ChecksRefusal(pr, ChecksGate.Judge([new ForgeCheckRun("tests", "pass")])).ShouldBeNull();
    }
}
