using Fleet.Rehearsal;

namespace Fleet.Tests.Rehearsal;

public class RehearsalScriptTests
{
    private const string Script = """
        {
          "rules": [
            { "worker": "reviewer", "iteration": 1, "turns": [
                { "type": "write_file", "path": "iterations/{iteration}/review.md", "content": "verdict: iterate\n",
                  "usage": { "input_tokens": 10, "output_tokens": 2, "cache_read_input_tokens": 7 } },
                { "type": "text", "text": "done" } ] },
            { "worker": "reviewer", "iteration": "2+", "turns": [ { "type": "text", "text": "lgtm" } ] },
            { "worker": "build-*", "provider": "codex", "turns": [
                { "type": "shell", "command": "make", "say": "building" },
                { "type": "fail", "status": 529, "message": "busy", "times": 2 },
                { "type": "edit_file", "path": "a.txt", "old_string": "x", "new_string": "y" },
                { "type": "tool_call", "name": "exec_command", "input": { "cmd": "ls" } } ] },
            { "turns": [ { "type": "fail", "status": 400, "message": "no" } ] }
          ]
        }
        """;

    [Fact]
    public void A_script_parses_into_rules_with_typed_turns_and_usage()
    {
        var script = RehearsalScript.Parse(Script);

        script.Rules.Count.ShouldBe(4);
        var write = script.Rules[0].Turns[0].ShouldBeOfType<WriteFileTurn>();
        write.Path.ShouldBe("iterations/{iteration}/review.md");
        write.Usage.ShouldBe(new RehearsalUsage(10, 2, 0, 7));
        script.Rules[0].Turns[1].Usage.ShouldBe(RehearsalUsage.Default);
        script.Rules[2].Turns[0].ShouldBeOfType<ShellTurn>().Say.ShouldBe("building");
        var fail = script.Rules[2].Turns[1].ShouldBeOfType<FailTurn>();
        (fail.Status, fail.Times, fail.EffectiveErrorType).ShouldBe((529, (int?)2, "overloaded_error"));
        script.Rules[2].Turns[3].ShouldBeOfType<ToolCallTurn>().Input["cmd"]!.GetValue<string>().ShouldBe("ls");
    }

    [Theory]
    [InlineData("reviewer", 1, RehearsalProvider.Claude, 0)]
    [InlineData("reviewer", 2, RehearsalProvider.Claude, 1)]
    [InlineData("reviewer", 9, RehearsalProvider.Codex, 1)]
    [InlineData("build-a", 3, RehearsalProvider.Codex, 2)]
    [InlineData("build-a", 3, RehearsalProvider.Claude, 3)]
    [InlineData("other", 1, RehearsalProvider.Claude, 3)]
    public void A_key_routes_to_the_first_rule_matching_worker_iteration_and_provider(string worker, int iteration, RehearsalProvider provider, int expectedRule)
    {
        var script = RehearsalScript.Parse(Script);
        RehearsalKey.TryParse($"rehearsal:my-fleet:{worker}:{iteration}", out var key).ShouldBeTrue();

        var rule = script.Find(key, provider);

        rule.ShouldBeSameAs(script.Rules[expectedRule]);
    }

    [Fact]
    public void A_key_round_trips_and_malformed_keys_are_refused()
    {
        var key = RehearsalKey.Create("f1", "builder-a", 3);
        key.ToString().ShouldBe("rehearsal:f1:builder-a:3");
        RehearsalKey.TryParse(key.ToString(), out var parsed).ShouldBeTrue();
        parsed.ShouldBe(key);

        foreach (var bad in new[] { "", "sk-ant-real", "rehearsal:f:w", "rehearsal:f:w:0", "rehearsal:f:w:x", "rehearsal::w:1", "rehearsal:f:w:1:extra", "other:f:w:1" })
        {
            RehearsalKey.TryParse(bad, out _).ShouldBeFalse(bad);
        }

        Should.Throw<ArgumentException>(() => RehearsalKey.Create("f", "a:b", 1));
    }

    [Theory]
    [InlineData("""{ "rules": [ { "turns": [ { "type": "text", "txt": "x" } ] } ] }""", "$.rules[0].turns[0].txt: unknown key; did you mean 'text'?")]
    [InlineData("""{ "rules": [ { "turns": [ { "type": "wrte_file" } ] } ] }""", "$.rules[0].turns[0].type: unknown turn type 'wrte_file'")]
    [InlineData("""{ "rules": [ { "iteration": "x", "turns": [ { "type": "text", "text": "x" } ] } ] }""", "$.rules[0].iteration: 'x' is not an iteration")]
    [InlineData("""{ "rules": [ { "turns": [ { "type": "fail", "status": 200 } ] } ] }""", "$.rules[0].turns[0].status: 200 is not an HTTP error status")]
    [InlineData("""{ "rules": [ { "turns": [] } ] }""", "$.rules[0].turns: a rule needs at least one turn")]
    [InlineData("""{ "rulez": [] }""", "$.rulez: unknown key; did you mean 'rules'?")]
    [InlineData("""{ "rules": [ { "turns": [ { "type": "text", "text": "x", "usage": { "output_tokens": -1 } } ] } ] }""", "$.rules[0].turns[0].usage.output_tokens: expected a whole number")]
    [InlineData("""not json""", "not valid JSON")]
    public void A_bad_script_is_refused_with_the_json_path_of_the_problem(string json, string expected)
    {
        var e = Should.Throw<RehearsalScriptException>(() => RehearsalScript.Parse(json));

        e.Message.ShouldContain(expected);
    }

    [Fact]
    public void The_default_script_makes_reviewers_iterate_once_then_approve_and_code_run_workers_write_a_file()
    {
        var script = DefaultRehearsalScript.Create(["judge"]);

        RehearsalKey.TryParse("rehearsal:f:judge:1", out var first).ShouldBeTrue();
        RehearsalKey.TryParse("rehearsal:f:judge:2", out var second).ShouldBeTrue();
        RehearsalKey.TryParse("rehearsal:f:builder:1", out var builder).ShouldBeTrue();

        script.Find(first, RehearsalProvider.Claude)!.Turns[0].ShouldBeOfType<WriteFileTurn>().Content.ShouldStartWith("verdict: iterate");
        script.Find(second, RehearsalProvider.Codex)!.Turns[0].ShouldBeOfType<WriteFileTurn>().Content.ShouldStartWith("verdict: lgtm");
        var write = script.Find(builder, RehearsalProvider.Claude)!.Turns[0].ShouldBeOfType<WriteFileTurn>();
        write.Path.ShouldBe(DefaultRehearsalScript.WorkerFilePath);
        script.Find(builder, RehearsalProvider.Claude)!.Turns[^1].ShouldBeOfType<TextTurn>();
    }

    [Fact]
    public void A_script_file_that_cannot_be_parsed_names_the_file()
    {
        using var dir = new Infrastructure.TempDir();
        var path = dir.Write("script.json", "{ \"rules\": 3 }");

        var e = Should.Throw<RehearsalScriptException>(() => RehearsalScript.LoadFile(path));

        e.Message.ShouldBe($"{path}:1:12: $.rules: expected an array");
    }

    public static TheoryData<string, string, string> PlaceholderTypos => new()
    {
        { "upper case", """{ "type": "text", "text": "done by {Worker}" }""", "1:53: $.rules[0].turns[0].text: unknown placeholder {Worker} (placeholders are lower case: did you mean {worker}?)" },
        { "unknown name", """{ "type": "shell", "command": "echo ${HOME}" }""", "1:57: $.rules[0].turns[0].command: unknown placeholder {HOME}" },
        { "unclosed", """{ "type": "write_file", "path": "out/{iteration.txt", "content": "x" }""", "1:59: $.rules[0].turns[0].path: unclosed placeholder {iteration" },
        { "in say", """{ "type": "shell", "command": "true", "say": "I am {wroker}" }""", "1:72: $.rules[0].turns[0].say: unknown placeholder {wroker}" },
        { "in a failure message", """{ "type": "fail", "status": 500, "message": "{fleet} {root}" }""", "1:71: $.rules[0].turns[0].message: unknown placeholder {root}" },
    };

    [Theory]
    [MemberData(nameof(PlaceholderTypos))]
    public void A_placeholder_typo_in_a_turn_is_an_error_at_its_line_and_column(string because, string turn, string expected)
    {
        using var dir = new Infrastructure.TempDir();
        var path = dir.Write("rehearsal.json", $$"""{ "rules": [ { "turns": [ {{turn}} ] } ] }""");

        var e = Should.Throw<RehearsalScriptException>(() => RehearsalScript.LoadFile(path), because);

        e.Message.ShouldStartWith($"{path}:{expected}", customMessage: because);
    }

    [Fact]
    public void Doubled_braces_in_a_turn_are_literal_braces_and_known_placeholders_are_filled()
    {
        var script = RehearsalScript.Parse("""{ "rules": [ { "turns": [ { "type": "shell", "command": "echo ${{HOME}} {{worker}} {worker}@{iteration}" } ] } ] }""");
        RehearsalKey.TryParse("rehearsal:f:builder:2", out var key).ShouldBeTrue();

        var step = RehearsalPlayer.Expand(script.Rules[0].Turns[0], key, RehearsalProvider.Claude, new RehearsalConversation(0, "/work", [], "m", true)).Cast<ToolStep>().Single();

        step.Input["command"]!.GetValue<string>().ShouldBe("echo ${HOME} {worker} builder@2");
    }
}
