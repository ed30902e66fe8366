using Fleet.Cli.Hosting;
using Fleet.State;

namespace Fleet.Tests.Cli;

/// <summary>The lines `launch --wait` prints: every journal entry in a person's words.</summary>
public class RunFollowerTests
{
    // One-word kinds (paused, resumed, verdict) are words already; the snake_case names are not.
    public static TheoryData<string> EveryKind => [.. typeof(JournalTypes).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).Where(k => k.Contains('_', StringComparison.Ordinal))];

    [Theory]
    [MemberData(nameof(EveryKind))]
    public void No_journal_kind_reaches_the_screen_by_its_raw_name(string kind)
    {
        var line = RunFollower.Describe(new JournalEntry { Type = kind, Worker = "api", Outcome = "killed", Reason = "r", Iteration = 1 });

        line.ShouldNotContain(kind);
    }

    [Fact]
    public void A_run_that_ended_says_how_and_why()
    {
        RunFollower.Describe(new JournalEntry { Type = JournalTypes.RunEnded, Outcome = "killed", Reason = "killed by a person (fleet kill)" })
            .ShouldEndWith("run ended: killed — killed by a person (fleet kill)");
    }
}
