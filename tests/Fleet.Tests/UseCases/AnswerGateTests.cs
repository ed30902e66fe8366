using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Gates;
using Fleet.Gates.Inbox;
using Fleet.Tests.Infrastructure;
using Fleet.UseCases;

namespace Fleet.Tests.UseCases;

public sealed class AnswerGateTests : UseCaseTest
{
    private string AnswerFile(string id) => GatePaths.Answer(Layout.IterationDir(1), id);

    private GateAnswer WrittenAnswer(string id) => JsonSerializer.Deserialize(File.ReadAllText(AnswerFile(id)), GateJsonContext.Default.GateAnswer)!;

    private void Ask(string id, string tool, string summary, JsonObject input, string kind = "permission")
    {
        var dir = GatePaths.Dir(Layout.IterationDir(1));
        Directory.CreateDirectory(dir);
        var request = new GateRequest(id, id[..id.IndexOf('-', StringComparison.Ordinal)], 1, kind, tool, summary, input, "no rule matched", Now.AddMinutes(-2));
        File.WriteAllText(GatePaths.Request(Layout.IterationDir(1), id), JsonSerializer.Serialize(request, GateJsonContext.Default.GateRequest));
    }

    private Task<AnswerGateResult> AnswerAsync(string id, string decision, Func<AnswerGateRequest, AnswerGateRequest>? with = null) =>
        new AnswerGate(Host).RunAsync((with ?? (r => r))(new AnswerGateRequest(Root, "fleet", id, decision, "ada")), Ct).DefaultTimeout();

    [Fact]
    public async Task Approving_an_open_request_writes_an_allow_by_the_person_at_the_hosts_time()
    {
        Ask("builder-1-1", "Bash", "npm test", new JsonObject { ["command"] = "npm test" });

        var result = await AnswerAsync("builder-1-1", GateKinds.Allow);

        result.Message.ShouldStartWith("approved builder's Bash: npm test");
        (result.GateId, result.Decision, result.RuleAdded).ShouldBe(("builder-1-1", "allow", null));
        var written = WrittenAnswer("builder-1-1");
        (written.Decision, written.By, written.AnsweredAt, written.Message).ShouldBe(("allow", "ada", Now, null));
    }

    [Fact]
    public async Task Approving_always_adds_the_requests_rule_for_the_rest_of_the_run()
    {
        Ask("builder-1-1", "Bash", "npm test", new JsonObject { ["command"] = "npm test" });

        var result = await AnswerAsync("builder-1-1", GateKinds.Allow, r => r with { Always = true });

        result.RuleAdded.ShouldBe("Bash(npm test)");
        WrittenAnswer("builder-1-1").Always.ShouldBeTrue();
    }

    [Fact]
    public async Task Denying_without_a_message_tells_the_agent_a_person_denied_it()
    {
        Ask("builder-1-1", "Bash", "rm -rf build", new JsonObject { ["command"] = "rm -rf build" });

        await AnswerAsync("builder-1-1", GateKinds.Deny);

        WrittenAnswer("builder-1-1").Message.ShouldBe(AnswerGate.DefaultDenial);
    }

    [Fact]
    public async Task A_question_answered_by_option_number_and_label_records_the_options_text()
    {
        Ask("planner-1-1", "AskUserQuestion", "Which database?", Questions(), kind: "question");

        await AnswerAsync("planner-1-1", GateKinds.Answer, r => r with { Answers = ["sqlite", "1, 3"] });

        WrittenAnswer("planner-1-1").Answers.ShouldBe(new Dictionary<string, string> { ["Which database?"] = "SQLite", ["Which checks?"] = "lint, bench" });
    }

    [Fact]
    public async Task A_question_given_too_few_answers_is_refused_with_its_questions_listed_and_nothing_is_written()
    {
        Ask("planner-1-1", "AskUserQuestion", "Which database?", Questions(), kind: "question");

        var refused = await Should.ThrowAsync<FleetOperationException>(AnswerAsync("planner-1-1", GateKinds.Answer, r => r with { Answers = ["2"] }));

        refused.ExitCode.ShouldBe(ExitCodes.Usage);
        refused.Message.ShouldBe(
            "gate planner-1-1 asks 2 questions; give one answer each (got 1): fleet answer fleet planner-1-1 ANSWER…\n" +
            "1. Which database?\n   1) Postgres\n   2) SQLite\n2. Which checks? (several: comma-separated)\n   1) lint\n   2) tests\n   3) bench");
        File.Exists(AnswerFile("planner-1-1")).ShouldBeFalse();
    }

    [Fact]
    public async Task Answering_a_gate_that_does_not_exist_is_refused_with_exit_2()
    {
        var refused = await Should.ThrowAsync<FleetOperationException>(AnswerAsync("builder-1-9", GateKinds.Allow));

        refused.ExitCode.ShouldBe(ExitCodes.Usage);
        refused.Message.ShouldStartWith("no gate \"builder-1-9\" in ");
    }

    private static JsonObject Questions() => JsonNode.Parse("""
        {"questions":[
          {"question":"Which database?","header":"DB","multiSelect":false,"options":[{"label":"Postgres","description":""},{"label":"SQLite","description":""}]},
          {"question":"Which checks?","header":"CI","multiSelect":true,"options":[{"label":"lint"},{"label":"tests"},{"label":"bench"}]}]}
        """)!.AsObject();
}
