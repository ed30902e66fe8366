using Fleet.Telemetry.Readers;
using Fleet.Telemetry.Schema;

namespace Fleet.Tests.Telemetry;

/// <summary>How a Codex tool output's head tells the call's outcome.</summary>
public sealed class CodexOutcomeTests
{
    [Theory]
    [InlineData("aborted: rejected by user", ToolOutcome.Rejected)]
    [InlineData("Rejected By User", ToolOutcome.Rejected)]
    [InlineData("exec command REJECTED BY USER\nProcess exited with code 0", ToolOutcome.Rejected)]
    [InlineData("the User Declined to run it", ToolOutcome.Rejected)]
    [InlineData("rejected by the user", ToolOutcome.Ok)]
    [InlineData("user  declined", ToolOutcome.Ok)]
    [InlineData("Process exited with code 0\nrejected", ToolOutcome.Ok)]
    [InlineData("Process exited with code 2\n", ToolOutcome.Error)]
    [InlineData("Exit code: 1\nWall time: 0.1 seconds", ToolOutcome.Error)]
    [InlineData("error: no such file", ToolOutcome.Error)]
    [InlineData("""{"output":"x","metadata":{"exit_code":3}}""", ToolOutcome.Error)]
    [InlineData("""{"output":"x","metadata":{"exit_code":0}}""", ToolOutcome.Ok)]
    public void A_tool_output_tells_its_outcome(string output, ToolOutcome expected) =>
        CodexRolloutReader.OutcomeOf(output).ShouldBe(expected);

    [Fact]
    public void Rejection_phrases_match_exactly_as_an_ordinal_case_insensitive_search_would()
    {
        // The vectorised search must agree with String.Contains(…, OrdinalIgnoreCase), non-ASCII letters included:
        // 'ſ' (long s) and 'ı' (dotless i) upper-case to ASCII letters, the Kelvin sign does not.
        string[] phrases = ["rejected by user", "user declined"];
        string[] variants =
        [
            "rejected by user", "REJECTED BY USER", "rejected by uſer", "uſer declıned", "rejected by user\u212A",
            "\u212Aelvin user declined", "rejecte by user", "user declinedx", "xuser declined", "réjected by user",
            "rejected\u00A0by user", "user\tdeclined", "USER DECLINED", "user decline", "",
        ];
        var random = new Random(20261206);
        var checkedCount = 0;
        foreach (var variant in variants)
        {
            for (var pad = 0; pad < 80; pad += 7)
            {
                // Padded on both sides, across the vector widths the search works in.
                var text = new string('a', pad) + variant + new string((char)random.Next('a', 'z'), random.Next(0, 40));
                var expected = phrases.Any(p => text.Contains(p, StringComparison.OrdinalIgnoreCase));
                (CodexRolloutReader.OutcomeOf(text) == ToolOutcome.Rejected).ShouldBe(expected, text);
                checkedCount++;
            }
        }

        checkedCount.ShouldBeGreaterThan(100);
    }
}
