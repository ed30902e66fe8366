using Fleet.Retro;
using Fleet.State;
using Fleet.Trend;

namespace Fleet.Tests.Trend;

/// <summary>The memory experiment in the trend: each run's arm from its journal, and the arms side by side.</summary>
public sealed class TrendArmsTests
{
    private static TrendRow Row(string run, string arm, int workers, int interventions)
    {
        var totals = new RunTotals(run, 1, workers, 0m, interventions, interventions, 0, 0, 0);
        var retro = new Retrospective(run, "flywheel", totals, null, 300,
            [.. Enumerable.Range(1, workers).Select(i => new RetroWorker($"w{i}", 1, null, 0m, 0, 0, [], [], []))], [], []) { Arm = arm };
        return TrendReport.Row(retro, DateTimeOffset.UnixEpoch, "dag");
    }

    [Theory]
    [InlineData(null, "memory")]
    [InlineData("no-memory", "no-memory")]
    [InlineData("something else", "memory")]
    public void A_runs_arm_is_what_its_run_started_entry_journaled(string? journaled, string arm) =>
        RunState.Fold([new JournalEntry { Type = JournalTypes.RunStarted, Run = "r-1", Arm = journaled }]).Arm.ShouldBe(arm);

    [Fact]
    public void The_arms_are_shown_side_by_side_as_interventions_per_issue()
    {
        var text = TrendReport.Arms([Row("r-1", "memory", 2, 6), Row("r-2", "memory", 2, 1), Row("r-3", "no-memory", 2, 6)]);

        text.ShouldBe("""

            Interventions per issue by arm:
              memory     2 runs  7 interventions over 4 issues  1.75 per issue
              no-memory  1 run  6 interventions over 2 issues  3 per issue

            """.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void A_trend_of_one_arm_has_no_arms_section()
    {
        TrendReport.Arms([Row("r-1", "memory", 2, 6), Row("r-2", "memory", 2, 1)]).ShouldBeEmpty();
        TrendReport.Arms([]).ShouldBeEmpty();
    }
}
