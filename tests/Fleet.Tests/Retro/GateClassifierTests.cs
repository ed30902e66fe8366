using Fleet.Retro;

namespace Fleet.Tests.Retro;

public sealed class GateClassifierTests
{
    private static RetroGate Bash(string id, string command, string decision = "allow") =>
        new(id, "permission", "Bash", command, decision, Worker: "builder");

    private static RetroGate Ask(string id, string question, string answer, string? run = "r-2") =>
        new(id, "question", "AskUserQuestion", question, "answer", Answer: answer, Run: run, Worker: "builder");

    [Fact]
    public void Three_approvals_of_npm_test_give_one_allow_rule_recommendation_with_that_exact_rule()
    {
        var result = GateClassifier.Classify([Bash("a", "npm test"), Bash("b", "npm test"), Bash("c", "npm test")]);

        var avoid = result.Recommendations.Where(r => r.Action == GateClasses.Avoid).ToList();
        avoid.Count.ShouldBe(1);
        avoid[0].Class.ShouldBe(GateClasses.RepeatablePermission);
        avoid[0].Rule.ShouldBe("Bash(npm test)");
        avoid[0].Count.ShouldBe(3);
        avoid[0].Text.ShouldBe("Add the allow rule Bash(npm test) to \"allow\" in .fleet/gates.json (approved 3 of 3 times, not destructive).");
    }

    [Fact]
    public void A_permission_denied_once_gets_no_allow_rule()
    {
        var result = GateClassifier.Classify([Bash("a", "npm test"), Bash("b", "npm test", "deny"), Bash("c", "npm test")]);

        result.Recommendations.ShouldNotContain(r => r.Class == GateClasses.RepeatablePermission);
    }

    [Fact]
    public void A_destructive_approval_is_kept_even_when_approved_every_time()
    {
        var result = GateClassifier.Classify([Bash("a", "git push --force origin main"), Bash("b", "git push --force origin main")], workingDirectory: "/work/repo");

        result.Gates.ShouldAllBe(g => g.Class == GateClasses.Destructive && g.Action == GateClasses.Keep);
        result.Recommendations.Single().Text.ShouldContain("git push --force");
    }

    [Fact]
    public void A_permission_the_fleets_own_destructive_rule_forced_before_a_person_is_kept()
    {
        var deploy = new RetroGate("d", "permission", "Bash", "./deploy.sh prod", "allow", Reason: "destructive operation (Bash(./deploy.sh:*)): a person decides, whatever wildcard rule matches");
        var result = GateClassifier.Classify([deploy, deploy with { Id = "e" }]);

        result.Gates.ShouldAllBe(g => g.Class == GateClasses.Destructive);
        result.Recommendations.Single().Text.ShouldBe("Keep: always ask before a destructive operation (Bash(./deploy.sh:*)).");
    }

    [Fact]
    public void The_same_setup_question_twice_becomes_a_precondition_with_the_first_answer_when_fleet_can_check_it()
    {
        var result = GateClassifier.Classify([Ask("q1", "Which branch should I target?", "main"), Ask("q2", "which branch should I target", "main")]);

        result.Gates[0].Class.ShouldBe(GateClasses.SetupQuestion);
        result.Gates[1].Class.ShouldBe(GateClasses.RepeatedQuestion);
        var recommendation = result.Recommendations.Single(r => r.Class == GateClasses.RepeatedQuestion);
        recommendation.Text.ShouldBe("Settle it before launch: the step-0 precondition \"the checked-out branch is main\" in .fleet/doctrine.md, checked by fleet launch (asked: 'Which branch should I target?', answered: main).");
    }

    [Fact]
    public void A_question_answered_in_a_previous_run_is_a_repeat_in_this_one()
    {
        var previous = Ask("old", "Should I also update the changelog for this release?", "yes", run: "r-1");
        var result = GateClassifier.Classify([Ask("new", "Should I update the changelog for this release?", "yes")], [previous]);

        result.Gates.Single().Class.ShouldBe(GateClasses.RepeatedQuestion);
    }

    [Fact]
    public void A_setup_question_asked_mid_run_becomes_a_step_zero_precondition()
    {
        var result = GateClassifier.Classify([Ask("q", "What command runs the tests here?", "dotnet test")]);

        var gate = result.Gates.Single();
        gate.Class.ShouldBe(GateClasses.SetupQuestion);
        gate.Action.ShouldBe(GateClasses.Avoid);
        gate.Recommendation.ShouldBe("Record the default in .fleet/doctrine.md (a set-up question fleet has no automatic check for): \"If you would ask 'What command runs the tests here?', the answer is: dotnet test\".");
    }

    [Fact]
    public void Different_questions_are_not_near_the_same()
    {
        GateClassifier.SameQuestion("Which branch should I target?", "Which database should I migrate first?").ShouldBeFalse();
        GateClassifier.SameQuestion("Which branch should I target?", "Which branch should I target?!").ShouldBeTrue();
    }

    [Fact]
    public void Escalations_plan_approvals_and_pauses_are_kept_with_their_counts()
    {
        var result = GateClassifier.Classify(
        [
            new RetroGate("e1", "escalation", Asked: "reviewer: needs a decision on the schema"),
            new RetroGate("e2", "escalation", Asked: "reviewer: stuck"),
            new RetroGate("p", "plan", "ExitPlanMode", Decision: "allow"),
            new RetroGate("z", "pause", Decision: "paused"),
        ]);

        result.Recommendations.ShouldAllBe(r => r.Action == GateClasses.Keep);
        result.Recommendations.Single(r => r.Class == GateClasses.Escalation).Count.ShouldBe(2);
        result.Recommendations.Single(r => r.Class == GateClasses.PlanApproval).Count.ShouldBe(1);
        result.Recommendations.Single(r => r.Class == GateClasses.Pause).Count.ShouldBe(1);
    }

    [Fact]
    public void A_gate_a_rule_decided_is_not_an_intervention_and_asks_for_nothing()
    {
        var result = GateClassifier.Classify([new RetroGate("r", "permission", "Bash", "npm test", "allow", DecidedBy: "rule")]);

        result.Gates.Single().Class.ShouldBe(GateClasses.Rule);
    }
}
