using Fleet.Forge;
using Fleet.Team;

namespace Fleet.Tests.Team;

public class TakenDetectorTests
{
    private static ForgePullRequest Pr(int number, string head, string body = "", IReadOnlyList<int>? closes = null, string title = "work") =>
        new(number, title, body, head, "main", "abc", "OPEN", $"https://github.com/o/r/pull/{number}", closes ?? [], []);

    [Fact]
    public void An_open_pull_request_that_closes_the_issue_takes_it_with_its_link()
    {
        var taken = TakenDetector.Find(12, [Pr(30, "feature/x", closes: [12])], []);
        taken.ShouldBe(new TakenBy("open pull request #30 closes it", "https://github.com/o/r/pull/30"));
    }

    [Fact]
    public void A_pull_request_on_a_branch_named_for_the_issue_takes_it()
    {
        TakenDetector.Find(12, [Pr(31, "fleet/issue-12")], [])!.Reason.ShouldBe("open pull request #31 is on branch fleet/issue-12");
        TakenDetector.Find(12, [Pr(32, "12-fix-login")], [])!.Reason.ShouldBe("open pull request #32 is on branch 12-fix-login");
    }

    [Fact]
    public void A_pull_request_whose_body_mentions_the_issue_takes_it_but_a_longer_number_does_not()
    {
        TakenDetector.Find(12, [Pr(33, "x", body: "Part of #12.")], [])!.Reason.ShouldBe("open pull request #33 mentions it");
        TakenDetector.Find(12, [Pr(34, "x", body: "See #123 and a#12")], []).ShouldBeNull();
    }

    [Fact]
    public void A_branch_that_names_the_issue_takes_it_without_a_pull_request()
    {
        TakenDetector.Find(7, [], ["main", "origin/issue/7"])!.Reason.ShouldBe("branch origin/issue/7 exists");
        TakenDetector.Find(7, [], ["issue-7-login"]).ShouldNotBeNull();
    }

    [Theory]
    [InlineData("release/7")]
    [InlineData("v7")]
    [InlineData("issue-70")]
    [InlineData("17-login")]
    [InlineData("main")]
    public void Branches_that_do_not_name_the_issue_leave_it_free(string branch)
    {
        TakenDetector.BranchNames(branch, 7).ShouldBeFalse();
    }
}
