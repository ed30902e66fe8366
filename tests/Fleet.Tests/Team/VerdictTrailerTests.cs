using Fleet.Forge;
using Fleet.Team;

namespace Fleet.Tests.Team;

public class VerdictTrailerTests
{
    [Fact]
    public void A_trailer_reads_back_what_was_written()
    {
        var trailer = new VerdictTrailer("lgtm", "codex/gpt-5-codex", 2, "3f2a9c");
        trailer.Line.ShouldBe("Fleet-Verdict: lgtm; reviewer=codex/gpt-5-codex; iteration=2; head=3f2a9c");
        VerdictTrailer.Parse("Closes #4\n\nsome text\n\n" + trailer.Line + "\n").ShouldBe(trailer);
    }

    [Fact]
    public void Applying_a_new_verdict_replaces_the_old_one_and_keeps_the_rest_of_the_body()
    {
        var first = new VerdictTrailer("iterate", "codex/default", 1, "aaa").ApplyTo("Closes #7\n\nThe change.\n");
        first.ShouldBe("Closes #7\n\nThe change.\n\nFleet-Verdict: iterate; reviewer=codex/default; iteration=1; head=aaa\n");
        var second = new VerdictTrailer("lgtm", "codex/default", 2, "bbb").ApplyTo(first);
        second.ShouldBe("Closes #7\n\nThe change.\n\nFleet-Verdict: lgtm; reviewer=codex/default; iteration=2; head=bbb\n");
        VerdictTrailer.Parse(second)!.Head.ShouldBe("bbb");
    }

    [Fact]
    public void A_body_without_a_trailer_has_no_verdict()
    {
        VerdictTrailer.Parse("Closes #7\n\nverdict: lgtm\n").ShouldBeNull();
        VerdictTrailer.Parse(null).ShouldBeNull();
    }

    [Fact]
    public void The_last_trailer_of_a_body_is_the_verdict_in_force()
    {
        var body = "Fleet-Verdict: lgtm; reviewer=a/b; iteration=1; head=111\n\nFleet-Verdict: iterate; reviewer=a/b; iteration=2; head=222\n";
        VerdictTrailer.Parse(body)!.Verdict.ShouldBe("iterate");
    }

    private static ForgePullRequest Pr(string body, string? head, string state = "OPEN") =>
        new(5, "t", body, "fleet/issue-4", "main", head, state, "https://example.invalid/pull/5", [4], []);

    [Fact]
    public void Merge_refuses_a_pull_request_whose_head_changed_after_approval()
    {
        var reason = TeamMerger.Refusal(Pr("Closes #4\n\nFleet-Verdict: lgtm; reviewer=codex/default; iteration=1; head=aaaaaaaaaaaaaaaa\n", "bbbbbbbbbbbbbbbb"));
        reason.ShouldBe("approved at aaaaaaaaaaaa but its head is now bbbbbbbbbbbb: the commits after the approval were not reviewed");
    }

    [Fact]
    public void Merge_refuses_without_a_verdict_or_with_a_verdict_other_than_lgtm()
    {
        TeamMerger.Refusal(Pr("Closes #4\n", "aaa")).ShouldBe("no verdict recorded: its body has no Fleet-Verdict line");
        TeamMerger.Refusal(Pr("Fleet-Verdict: iterate; reviewer=codex/default; iteration=3; head=aaa\n", "aaa"))
            .ShouldBe("the latest verdict is iterate (iteration 3, codex/default), not lgtm");
        TeamMerger.Refusal(Pr("Fleet-Verdict: lgtm; reviewer=codex/default; iteration=1; head=aaa\n", "aaa", "MERGED")).ShouldBe("it is merged, not open");
    }

    [Fact]
    public void Merge_accepts_an_approval_for_the_current_head()
    {
        TeamMerger.Refusal(Pr("Fleet-Verdict: lgtm; reviewer=codex/default; iteration=1; head=AAA\n", "aaa")).ShouldBeNull();
    }
}
