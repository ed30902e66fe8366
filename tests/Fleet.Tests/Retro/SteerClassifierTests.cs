using Fleet.Retro;

namespace Fleet.Tests.Retro;

/// <summary>How the retrospective classes a person's messages to running workers (<c>fleet say</c>, <c>fleet interrupt</c>).</summary>
public sealed class SteerClassifierTests
{
    public static TheoryData<string, string[], string[], string> Cases => new()
    {
        // name, this run's steers ("decision|message"), earlier runs' steers, the class of this run's last steer
        { "said once", ["say|use pnpm, not npm"], [], GateClasses.Steer },
        { "said twice in the run", ["say|use pnpm, not npm", "say_now|use pnpm, not npm"], [], GateClasses.RepeatedCorrection },
        { "said again with other case and punctuation", ["say|Use pnpm not npm!"], ["say|use pnpm, not npm"], GateClasses.RepeatedCorrection },
        { "two different corrections", ["say|use pnpm, not npm", "say|the API moved to v2"], [], GateClasses.Steer },
        { "interrupts are not corrections", ["interrupt|", "interrupt|"], [], GateClasses.Steer },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_correction_said_more_than_once_becomes_a_default_and_one_said_once_is_kept(string name, string[] steers, string[] earlier, string expected)
    {
        var result = GateClassifier.Classify([.. steers.Select((s, i) => Steer("s" + i, s, "r-2"))], [.. earlier.Select((s, i) => Steer("h" + i, s, "r-1"))]);

        result.Gates[^1].Class.ShouldBe(expected, name);
        result.Gates.ShouldAllBe(g => g.Gate.ByPerson, "every steer is a person's intervention");
    }

    [Fact]
    public void A_repeated_correction_gives_one_recommendation_whose_answer_is_the_message_to_put_in_the_brief()
    {
        var result = GateClassifier.Classify([Steer("a", "say|use pnpm, not npm", "r-2"), Steer("b", "say|Use pnpm, not npm.", "r-2")]);

        var avoid = result.Recommendations.Single(r => r.Action == GateClasses.Avoid);
        (avoid.Class, avoid.Count, avoid.Answer, avoid.Worker).ShouldBe((GateClasses.RepeatedCorrection, 2, "use pnpm, not npm", "builder"));
        avoid.Text.ShouldBe("Put it in the brief as a default: \"use pnpm, not npm\" (a person had to say it 2 times).");
    }

    private static RetroGate Steer(string id, string steer, string run)
    {
        var (decision, message) = (steer.Split('|')[0], steer.Split('|')[1]);
        return new RetroGate(id, "steer", Asked: message.Length == 0 ? null : message, Decision: decision, Run: run, Worker: "builder");
    }
}
