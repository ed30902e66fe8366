using Fleet.Reviews;

namespace Fleet.Tests.Reviews;

public class ReviewVerdictsTests
{
    [Theory]
    [InlineData("All good.\nverdict: lgtm\n", "lgtm", "review.md")]
    [InlineData("verdict: iterate\n## a\nfix x", "iterate", "review.md")]
    [InlineData("  Verdict: ESCALATE  \nneeds a decision on the schema", "escalate", "review.md")]
    [InlineData("I think the verdict: lgtm is deserved", "iterate", "no verdict: review.md has no line 'verdict: lgtm|iterate|escalate'")]
    [InlineData("verdict: lgtm!", "iterate", "no verdict: review.md has no line 'verdict: lgtm|iterate|escalate'")]
    [InlineData("verdict: lgtm\nverdict: iterate", "iterate", "no verdict: review.md is ambiguous (lgtm, iterate)")]
    [InlineData("verdict: lgtm\nlater again:\nverdict: lgtm", "lgtm", "review.md")]
    [InlineData("", "iterate", "no verdict: review.md has no line 'verdict: lgtm|iterate|escalate'")]
    public void Only_an_exact_verdict_line_counts(string review, string verdict, string source)
    {
        var parsed = ReviewVerdicts.Parse(review);

        parsed.Verdict.ShouldBe(verdict);
        parsed.Source.ShouldBe(source);
    }

    [Fact]
    public void A_missing_review_file_is_iterate_with_no_verdict()
    {
        ReviewVerdicts.Read("/nonexistent/review.md").ShouldBe(new ReviewVerdict("iterate", null, "no verdict: review.md was not written"));
    }

    [Fact]
    public void The_escalation_reason_is_the_text_after_the_verdict_line()
    {
        ReviewVerdicts.Parse("Looked at it.\nverdict: escalate\nThe migration drops a column in production.\n").Reason.ShouldBe("The migration drops a column in production.");
    }

    [Fact]
    public void A_workers_section_runs_to_the_next_heading_of_the_same_level()
    {
        const string review = "verdict: iterate\n\n## builder-a\nFix parse() in src/p.cs: handle empty input.\n### detail\nline 3\n## builder-b\nRename Render.\n";

        ReviewVerdicts.SectionFor(review, "builder-a").ShouldBe("Fix parse() in src/p.cs: handle empty input.\n### detail\nline 3");
        ReviewVerdicts.SectionFor(review, "builder-b").ShouldBe("Rename Render.");
        ReviewVerdicts.SectionFor(review, "builder").ShouldBeNull();
    }
}
