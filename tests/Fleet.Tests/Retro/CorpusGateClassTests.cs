using Fleet.Retro;
using Fleet.Tests.Telemetry;

namespace Fleet.Tests.Retro;

/// <summary>The classifier on the real gates of the shared corpus (read in place), each with the class it should get.</summary>
public sealed class CorpusGateClassTests
{
    private static async Task<GateClassification> ClassifyAsync(string file)
    {
        using var cts = new CancellationTokenSource(Fleet.Tests.Infrastructure.TestTimeouts.Slow);
        var gates = await TranscriptGates.ReadAsync(Corpus.Claude(file), cts.Token);
        return GateClassifier.Classify(gates);
    }

    private static string Classes(GateClassification c) => string.Join(", ", c.Gates.Select(g => $"{g.Gate.Kind}/{g.Class}/{g.Action}"));

    [Fact]
    public async Task AskUserQuestion_plan_approval_and_interrupt_are_kept_as_question_plan_approval_and_interrupt()
    {
        Classes(await ClassifyAsync("spotter__subagent__askuserquestion-planmode.jsonl"))
            .ShouldBe("question/question/keep, plan/plan_approval/keep, interrupt/interrupt/keep");
    }

    [Fact]
    public async Task Rejected_tool_calls_are_kept_permissions_and_never_become_an_allow_rule()
    {
        Classes(await ClassifyAsync("spotter__short__reject-interrupt.jsonl"))
            .ShouldBe("permission/permission/keep, permission/permission/keep, interrupt/interrupt/keep");
        var synthetic = await ClassifyAsync("claude-backup__chat__v1.0.119-summary-synthetic.chat.json");
        synthetic.Gates.Count.ShouldBe(6);
        synthetic.Gates.ShouldAllBe(g => g.Gate.Tool == "Bash" && g.Gate.Decision == "deny" && g.Class == GateClasses.Permission);
    }

    [Fact]
    public async Task A_rejected_plan_and_an_approved_plan_are_both_plan_approvals_kept()
    {
        Classes(await ClassifyAsync("claude-code-config__chat__v2.0.35-plan-reject-interrupt.chat.json"))
            .ShouldBe("interrupt/interrupt/keep, plan/plan_approval/keep, interrupt/interrupt/keep, plan/plan_approval/keep");
    }

    [Fact]
    public async Task The_same_real_questions_asked_again_in_a_later_run_become_defaults_with_the_real_answers()
    {
        using var cts = new CancellationTokenSource(Fleet.Tests.Infrastructure.TestTimeouts.Slow);
        var gates = await TranscriptGates.ReadAsync(Corpus.Claude("infinity-claude__chat__v2.0.27-askuser-exitplan.chat.json"), cts.Token);
        var first = GateClassifier.Classify(gates);
        var again = GateClassifier.Classify(gates, history: gates);

        first.Gates.Single(g => g.Gate.Kind == "question").Class.ShouldBe(GateClasses.Question);
        var repeat = again.Gates.Single(g => g.Gate.Kind == "question");
        repeat.Class.ShouldBe(GateClasses.RepeatedQuestion);
        repeat.Recommendation.ShouldContain("Build applications autonomously");
    }
}
