using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Rehearsal;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Rehearsal;

/// <summary>The <c>structured_output</c> turn, played to the real claude (<c>--json-schema</c>) and codex (<c>--output-schema</c>).</summary>
public class StructuredOutputTurnTests
{
    private const string Schema = """
        {"type":"object","properties":{"answer":{"type":"integer"},"words":{"type":"array","items":{"type":"string"}}},"required":["answer","words"],"additionalProperties":false}
        """;

    private const string Script = """
        { "rules": [
            { "worker": "direct", "turns": [
                { "type": "structured_output", "value": { "answer": 42, "words": ["forty", "two"] },
                  "usage": { "input_tokens": 1000, "output_tokens": 80 } } ] },
            { "worker": "second-try", "turns": [
                { "type": "structured_output", "value": { "answer": "not a number", "words": [] } },
                { "type": "structured_output", "value": { "answer": 7, "words": ["fixed"] } } ] },
            { "worker": "chatty", "turns": [
                { "type": "text", "text": "Let me think about it in prose first." },
                { "type": "structured_output", "value": { "answer": 3, "words": ["after", "the", "reminder"] } } ] } ] }
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<AgentRunResult> RunClaudeAsync(string claude, RehearsalServer server, string worker, TempDir dir, params string[] args)
    {
        var work = Directory.CreateDirectory(dir.Combine("work")).FullName;
        var env = RehearsalEnvironment.For(RehearsalProvider.Claude, server.BaseUrl, RehearsalKey.Create("so", worker, 1).ToString(), dir.Path);
        string[] argv = ["-p", "--output-format", "stream-json", "--verbose", "--model", "claude-sonnet-4-5", "--permission-mode", "plan", .. args, "Answer."];
        return AgentCli.RunAsync(claude, argv, work, env, dir.Combine("home"));
    }

    private static IEnumerable<JsonElement> ToolUses(AgentRunResult run) =>
        run.Events.Where(e => e.GetProperty("type").GetString() == "assistant")
            .SelectMany(e => e.GetProperty("message").GetProperty("content").EnumerateArray())
            .Where(b => b.GetProperty("type").GetString() == "tool_use");

    [Fact]
    public void A_structured_output_turn_needs_an_object_value()
    {
        var turn = RehearsalScript.Parse("""{ "rules": [ { "turns": [ { "type": "structured_output", "value": { "a": [1, 2] }, "say": "Here." } ] } ] }""")
            .Rules[0].Turns[0].ShouldBeOfType<StructuredOutputTurn>();
        turn.Value.ToJsonString().ShouldBe("""{"a":[1,2]}""");
        turn.Say.ShouldBe("Here.");

        Should.Throw<RehearsalScriptException>(() => RehearsalScript.Parse("""{ "rules": [ { "turns": [ { "type": "structured_output" } ] } ] }"""))
            .Message.ShouldBe("$.rules[0].turns[0].value: required");
        Should.Throw<RehearsalScriptException>(() => RehearsalScript.Parse("""{ "rules": [ { "turns": [ { "type": "structured_output", "value": [1] } ] } ] }"""))
            .Message.ShouldBe("$.rules[0].turns[0].value: expected an object");
        Should.Throw<RehearsalScriptException>(() => RehearsalScript.Parse("""{ "rules": [ { "turns": [ { "type": "structured_output", "valeu": {} } ] } ] }"""))
            .Message.ShouldContain("did you mean 'value'?");
    }

    [Fact]
    public async Task Claude_given_a_json_schema_calls_its_StructuredOutput_tool_with_the_scripted_value_and_reports_it_as_structured_output()
    {
        var claude = AgentCli.RequireOrSkip("claude");
        using var dir = new TempDir("fleet-so-claude-");
        await using var server = await RehearsalServer.StartAsync(new RehearsalOptions { Script = RehearsalScript.Parse(Script) }, Ct).DefaultTimeout();

        var run = await RunClaudeAsync(claude, server, "direct", dir, "--json-schema", Schema);

        run.ExitCode.ShouldBe(0, run.ToString());
        ToolUses(run).ShouldHaveSingleItem().GetProperty("name").GetString().ShouldBe(StructuredOutputTurn.ClaudeToolName);
        var result = run.Result;
        result.GetProperty("is_error").GetBoolean().ShouldBeFalse();
        JsonNode.DeepEquals(JsonNode.Parse(result.GetProperty("structured_output").GetRawText()), JsonNode.Parse("""{"answer":42,"words":["forty","two"]}""")).ShouldBeTrue(run.ToString());
        JsonNode.Parse(result.GetProperty("result").GetString()!)!["answer"]!.GetValue<int>().ShouldBe(42);
        result.GetProperty("usage").GetProperty("output_tokens").GetInt64().ShouldBe(80);
        server.ModelCalls(RehearsalKey.Create("so", "direct", 1)).ShouldBe(1); // the tool call ends the run: no model call after it
    }

    [Fact]
    public async Task Claude_without_a_json_schema_gets_the_scripted_value_as_its_final_text()
    {
        var claude = AgentCli.RequireOrSkip("claude");
        using var dir = new TempDir("fleet-so-claude-");
        await using var server = await RehearsalServer.StartAsync(new RehearsalOptions { Script = RehearsalScript.Parse(Script) }, Ct).DefaultTimeout();

        var run = await RunClaudeAsync(claude, server, "direct", dir);

        run.ExitCode.ShouldBe(0, run.ToString());
        ToolUses(run).ShouldBeEmpty();
        run.Result.TryGetProperty("structured_output", out _).ShouldBeFalse();
        run.Result.GetProperty("result").GetString().ShouldBe("""{"answer":42,"words":["forty","two"]}""");
    }

    [Fact]
    public async Task Claude_refuses_a_value_that_breaks_the_schema_and_the_script_goes_on_to_its_next_turn()
    {
        var claude = AgentCli.RequireOrSkip("claude");
        using var dir = new TempDir("fleet-so-claude-");
        await using var server = await RehearsalServer.StartAsync(new RehearsalOptions { Script = RehearsalScript.Parse(Script) }, Ct).DefaultTimeout();

        var run = await RunClaudeAsync(claude, server, "second-try", dir, "--json-schema", Schema);

        run.ExitCode.ShouldBe(0, run.ToString());
        var refusal = run.Events.Where(e => e.GetProperty("type").GetString() == "user")
            .SelectMany(e => e.GetProperty("message").GetProperty("content").EnumerateArray())
            .First(b => b.GetProperty("type").GetString() == "tool_result");
        refusal.GetProperty("is_error").GetBoolean().ShouldBeTrue();
        refusal.GetProperty("content").ToString().ShouldStartWith("Output does not match required schema");
        run.Result.GetProperty("structured_output").GetProperty("answer").GetInt32().ShouldBe(7);
        server.ModelCalls(RehearsalKey.Create("so", "second-try", 1)).ShouldBe(2);
    }

    [Fact]
    public async Task Claudes_reminder_to_call_StructuredOutput_after_a_text_answer_plays_the_next_turn_instead_of_restarting()
    {
        var claude = AgentCli.RequireOrSkip("claude");
        using var dir = new TempDir("fleet-so-claude-");
        await using var server = await RehearsalServer.StartAsync(new RehearsalOptions { Script = RehearsalScript.Parse(Script) }, Ct).DefaultTimeout();

        var run = await RunClaudeAsync(claude, server, "chatty", dir, "--json-schema", Schema);

        run.ExitCode.ShouldBe(0, run.ToString());
        run.Result.GetProperty("structured_output").GetProperty("words").GetArrayLength().ShouldBe(3, run.ToString());
        server.ModelCalls(RehearsalKey.Create("so", "chatty", 1)).ShouldBe(2);
        server.Requests.Where(r => r.Key == "rehearsal:so:chatty:1").Select(r => r.Outcome).ShouldBe(["step 0: text", "step 1: tool StructuredOutput"]);
    }

    [Fact]
    public async Task Codex_given_an_output_schema_ends_with_the_scripted_value_as_its_final_message()
    {
        var codex = AgentCli.RequireOrSkip("codex");
        using var dir = new TempDir("fleet-so-codex-");
        var work = Directory.CreateDirectory(dir.Combine("work")).FullName;
        var schemaFile = dir.Write("schema.json", Schema);
        await using var server = await RehearsalServer.StartAsync(new RehearsalOptions { Script = RehearsalScript.Parse(Script) }, Ct).DefaultTimeout();
        var env = RehearsalEnvironment.For(RehearsalProvider.Codex, server.BaseUrl, RehearsalKey.Create("so", "direct", 1).ToString(), dir.Path);

        var run = await AgentCli.RunAsync(codex, ["exec", "--json", "--skip-git-repo-check", "-C", work, "-s", "read-only", "--output-schema", schemaFile, "-o", dir.Combine("last.txt"), "Answer."], work, env, dir.Combine("home"));

        run.ExitCode.ShouldBe(0, run.ToString());
        var message = run.Events.Last(e => e.GetProperty("type").GetString() == "item.completed").GetProperty("item");
        message.GetProperty("type").GetString().ShouldBe("agent_message");
        message.GetProperty("text").GetString().ShouldBe("""{"answer":42,"words":["forty","two"]}""");
        File.ReadAllText(dir.Combine("last.txt")).ShouldBe("""{"answer":42,"words":["forty","two"]}""");
    }
}
