using Fleet.Retro;
using Fleet.Trend;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Trend;

/// <summary>The trend page's axes and labels, and a fleet without verdicts, as pure functions and a golden table.</summary>
public sealed class TrendAxisTests
{
    [Theory]
    [InlineData(0, "0 1")]
    [InlineData(1, "0 1 2")]
    [InlineData(3, "0 1 2 3 4")]
    [InlineData(4, "0 2 4 6")]
    [InlineData(7, "0 2 4 6 8")]
    [InlineData(8, "0 3 6 9")]
    [InlineData(41, "0 11 22 33 44")]
    public void A_count_axis_has_whole_ticks_none_repeated_at_most_five_above_the_largest_count(int largest, string expected)
    {
        var ticks = TrendHtml.CountTicks(largest);
        string.Join(' ', ticks).ShouldBe(expected);
        ticks.Distinct().Count().ShouldBe(ticks.Count);
        ticks[^1].ShouldBeGreaterThan(largest);
    }

    [Theory]
    [InlineData("r-20261207-101500-ab12 r-20261207-134500-cd34", 14, "101500-ab12 134500-cd34")]
    [InlineData("r-20261207-101500-ab12 r-20261207-101500-cd34", 14, "ab12 cd34")] // same second: the random part
    [InlineData("r-20261206-101500-ab12 r-20261207-101500-cd34", 14, "…6-101500-ab12 …7-101500-cd34")] // too long: the end kept
    [InlineData("r-20261207-101500-ab12", 40, "r-20261207-101500-ab12")] // one run, room enough
    public void Run_labels_keep_the_part_that_tells_the_runs_apart(string runs, int maxChars, string expected) =>
        string.Join(' ', TrendReport.ShortRunLabels(runs.Split(' '), maxChars)).ShouldBe(expected);

    [Fact]
    public void A_dag_run_shows_no_verdict_instead_of_not_approved_and_the_page_is_titled_by_the_fleet()
    {
        var totals = new RunTotals("r-20261207-101500-ab12", 1, 2, 0.5m, 0, 0, 0, 0, 0);
        var retro = new Retrospective("r-20261207-101500-ab12", "nightly-sweep", totals, null, 300, [
            new RetroWorker("one", 1, null, 0.2m, 0, 0, [], [], []),
            new RetroWorker("two", 1, null, 0.3m, 0, 0, [], [], []),
        ], [], []);
        var dag = TrendReport.Row(retro, new DateTimeOffset(2026, 12, 7, 10, 15, 0, TimeSpan.Zero), "dag");
        var iterative = TrendReport.Row(retro with { Run = "r-20261207-134500-cd34" }, new DateTimeOffset(2026, 12, 7, 13, 45, 0, TimeSpan.Zero), "iterative");

        TrendReport.Approval(dag).ShouldBe("no verdict");
        TrendReport.Approval(iterative).ShouldBe("not approved");
        dag.CostByWorker.ShouldBe(new Dictionary<string, decimal> { ["one"] = 0.2m, ["two"] = 0.3m });
        Golden.Match(TrendReport.Table([dag, iterative]), "trend-dag-and-iterative.txt");
        var page = TrendHtml.Render([dag, iterative], "Fleet trend: " + dag.Fleet);
        page.ShouldContain("<h1>Fleet trend: nightly-sweep</h1>");
        page.ShouldContain(">101500-ab12</text>");
        page.ShouldContain(">134500-cd34</text>");
    }
}
