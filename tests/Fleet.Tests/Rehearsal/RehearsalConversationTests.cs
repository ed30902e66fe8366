using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Rehearsal;

namespace Fleet.Tests.Rehearsal;

public class RehearsalConversationTests
{
    private static RehearsalConversation Anthropic(string json) => RehearsalConversation.FromAnthropic(JsonDocument.Parse(json).RootElement);

    private static RehearsalConversation OpenAI(string json) => RehearsalConversation.FromOpenAI(JsonDocument.Parse(json).RootElement);

    [Fact]
    public void An_anthropic_position_counts_assistant_messages_since_the_last_prompt_that_is_not_a_tool_result()
    {
        var c = Anthropic("""
            { "model": "claude-sonnet-4-5", "stream": true,
              "system": [ { "type": "text", "text": "x\n - Primary working directory: /tmp/w d\n - Is a git repository: false" } ],
              "messages": [
                { "role": "user", "content": "first prompt" },
                { "role": "assistant", "content": [ { "type": "text", "text": "a" } ] },
                { "role": "user", "content": [ { "type": "text", "text": "<system-reminder>x</system-reminder>" }, { "type": "text", "text": "second prompt" } ] },
                { "role": "system", "content": "agents list" },
                { "role": "assistant", "content": [ { "type": "tool_use", "id": "t1", "name": "Read", "input": {} } ] },
                { "role": "user", "content": [ { "type": "tool_result", "tool_use_id": "t1", "content": "ok" }, { "type": "text", "text": "<system-reminder/>" } ] },
                { "role": "assistant", "content": [ { "type": "tool_use", "id": "t2", "name": "Edit", "input": {} } ] },
                { "role": "user", "content": [ { "type": "tool_result", "tool_use_id": "t2", "content": "ok" } ] } ] }
            """);

        c.Position.ShouldBe(2);
        c.Cwd.ShouldBe("/tmp/w d");
        c.Model.ShouldBe("claude-sonnet-4-5");
        c.Stream.ShouldBeTrue();
    }

    [Fact]
    public void An_openai_position_counts_runs_of_model_items_between_tool_outputs_since_the_last_user_message()
    {
        var c = OpenAI("""
            { "model": "gpt-5-codex", "stream": true, "tools": [ { "type": "function", "name": "exec_command" }, { "type": "web_search" } ],
              "input": [
                { "type": "message", "role": "developer", "content": [ { "type": "input_text", "text": "rules" } ] },
                { "type": "message", "role": "user", "content": [ { "type": "input_text", "text": "<environment_context>\n  <cwd>/tmp/cx</cwd>\n</environment_context>" } ] },
                { "type": "message", "role": "user", "content": [ { "type": "input_text", "text": "do it" } ] },
                { "type": "reasoning", "summary": [] },
                { "type": "function_call", "call_id": "c1", "name": "exec_command", "arguments": "{}" },
                { "type": "function_call_output", "call_id": "c1", "output": "ok" },
                { "type": "message", "role": "assistant", "content": [ { "type": "output_text", "text": "next" } ] },
                { "type": "function_call", "call_id": "c2", "name": "exec_command", "arguments": "{}" },
                { "type": "function_call_output", "call_id": "c2", "output": "ok" } ] }
            """);

        c.Position.ShouldBe(2);
        c.Cwd.ShouldBe("/tmp/cx");
        c.ToolNames.ShouldBe(["exec_command", "web_search"]);
    }

    [Fact]
    public void A_scripted_failure_with_times_fails_that_many_calls_at_its_position_then_the_script_goes_on()
    {
        var script = RehearsalScript.Parse("""
            { "rules": [ { "turns": [
                { "type": "fail", "status": 529, "message": "busy", "times": 2 },
                { "type": "text", "text": "after" } ] } ] }
            """);
        var player = new RehearsalPlayer(script);
        var key = RehearsalKey.Create("f", "w", 1);
        var atStart = new RehearsalConversation(0, null, [], "m", true);

        player.Decide(key, RehearsalProvider.Claude, atStart, out _).ShouldBeOfType<FailStep>().Status.ShouldBe(529);
        player.Decide(key, RehearsalProvider.Claude, atStart, out _).ShouldBeOfType<FailStep>();
        player.Decide(key, RehearsalProvider.Claude, atStart, out _).ShouldBeOfType<TextStep>().Text.ShouldBe("after");
        player.Decide(key, RehearsalProvider.Claude, atStart with { Position = 1 }, out var outcome).ShouldBeOfType<TextStep>();
        outcome.ShouldBe("script exhausted");
    }

    [Fact]
    public void An_edit_for_claude_reads_the_file_first_and_for_codex_is_an_apply_patch_through_its_shell_tool()
    {
        var key = RehearsalKey.Create("f", "w", 4);
        var edit = new EditFileTurn("src/{worker}.txt", "old", "new");
        var claude = RehearsalPlayer.Expand(edit, key, RehearsalProvider.Claude, new RehearsalConversation(0, "/work", [], "m", true)).Cast<ToolStep>().ToList();
        var codex = RehearsalPlayer.Expand(edit, key, RehearsalProvider.Codex, new RehearsalConversation(0, "/work", ["exec_command"], "m", true)).Cast<ToolStep>().ToList();

        claude.Select(s => s.Name).ShouldBe(["Read", "Edit"]);
        claude[1].Input["file_path"]!.GetValue<string>().ShouldBe("/work/src/w.txt");
        codex.ShouldHaveSingleItem().Name.ShouldBe("exec_command");
        codex[0].Input["cmd"]!.GetValue<string>().ShouldBe("apply_patch <<'FLEET_PATCH'\n*** Begin Patch\n*** Update File: src/w.txt\n@@\n-old\n+new\n*** End Patch\nFLEET_PATCH");
    }

    [Fact]
    public void A_codex_write_is_a_printf_that_keeps_the_bytes_exactly()
    {
        RehearsalPlayer.WriteCommand("a b/it's.txt", "x'y\n%s\n").ShouldBe("mkdir -p 'a b' && printf '%s' 'x'\\''y\n%s\n' > 'a b/it'\\''s.txt'");
    }

    [Theory]
    [InlineData("toolu_rehearsal_0a1b2c3d4e5f_7_0_p2", 2)]
    [InlineData("toolu_rehearsal_0a1b2c3d4e5f_7_1_p0", 0)]
    [InlineData("call_rehearsal_0a1b2c3d4e5f_12_p5", 5)]
    [InlineData("toolu_rehearsal_2_0", null)]
    [InlineData("call_rehearsal_3", null)]
    [InlineData("toolu_01XFDUDYJgAACzvnptvVoYEL", null)]
    [InlineData("msg_rehearsal_0a1b2c3d4e5f_3", null)]
    [InlineData("toolu_rehearsal_0a1b2c3d4e5f_7_0_p", null)]
    [InlineData("toolu_rehearsal_0a1b2c3d4e5f_7_0_p2x", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void A_tool_call_id_says_the_script_position_it_was_played_at_only_when_a_rehearsal_endpoint_issued_it(string? id, int? position)
    {
        RehearsalIds.PlayedPosition(id).ShouldBe(position);
    }

    [Fact]
    public void Ids_of_two_endpoints_never_collide_and_tool_call_ids_carry_their_position()
    {
        var one = RehearsalIds.CreateRandom();
        var two = RehearsalIds.CreateRandom();

        one.Prefix.ShouldNotBe(two.Prefix);
        one.Prefix.ShouldMatch("^[0-9a-f]{12}$");
        one.ToolUse(1, 0, 0).ShouldNotBe(two.ToolUse(1, 0, 0));
        one.Call(1, 0).ShouldNotBe(two.Call(1, 0));
        new[] { one.Message(1), one.Response(1), one.Request(1), one.FunctionCall(1), one.OutputMessage(1, 0) }.ShouldAllBe(id => id.Contains(one.Prefix));
        RehearsalIds.PlayedPosition(one.ToolUse(9, 1, 3)).ShouldBe(3);
        RehearsalIds.PlayedPosition(two.Call(9, 4)).ShouldBe(4);
    }

    public static TheoryData<string, int> AnthropicHistories => new()
    {
        // No rehearsal ids: count the responses.
        { """[ "go", ["t1"], ["t2"] ]""", 2 },
        // The CLI dropped the response played at 1: the last id still says 2 was played.
        { """[ "go", ["toolu_rehearsal_aa_1_0_p0"], ["toolu_rehearsal_bb_1_0_p2"] ]""", 3 },
        // A text response after an id counts on from it.
        { """[ "go", ["toolu_rehearsal_aa_1_0_p1"], "text" ]""", 3 },
        // Ids before the last prompt belong to an earlier prompt's play.
        { """[ "go", ["toolu_rehearsal_aa_1_0_p4"], "again", ["t9"] ]""", 1 },
        // Two endpoints (before and after a restart) in one history.
        { """[ "go", ["toolu_rehearsal_aa_2_0_p0"], ["toolu_rehearsal_bb_1_0_p1"], ["toolu_rehearsal_bb_2_0_p2"] ]""", 3 },
    };

    /// <summary>
    /// A compact history: a string is a user prompt ("text": an assistant text answer), an array is an assistant
    /// response calling tools with those ids, each followed by its tool result.
    /// </summary>
    [Theory]
    [MemberData(nameof(AnthropicHistories))]
    public void An_anthropic_position_follows_the_ids_the_endpoint_issued_and_counts_responses_without_them(string history, int position)
    {
        var messages = new JsonArray();
        foreach (var entry in JsonNode.Parse(history)!.AsArray())
        {
            if (entry is JsonArray ids)
            {
                var uses = new JsonArray();
                var results = new JsonArray();
                foreach (var id in ids)
                {
                    uses.Add(new JsonObject { ["type"] = "tool_use", ["id"] = (string)id!, ["name"] = "Bash", ["input"] = new JsonObject() });
                    results.Add(new JsonObject { ["type"] = "tool_result", ["tool_use_id"] = (string)id!, ["content"] = "ok" });
                }

                messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = uses });
                messages.Add(new JsonObject { ["role"] = "user", ["content"] = results });
            }
            else if ((string)entry! == "text")
            {
                messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = "said" }) });
            }
            else
            {
                messages.Add(new JsonObject { ["role"] = "user", ["content"] = (string)entry! });
            }
        }

        Anthropic(new JsonObject { ["messages"] = messages }.ToJsonString()).Position.ShouldBe(position);
    }

    [Fact]
    public void An_openai_position_follows_the_call_ids_the_endpoint_issued_even_after_a_say_message()
    {
        var c = OpenAI("""
            { "input": [
                { "type": "message", "role": "user", "content": [ { "type": "input_text", "text": "do it" } ] },
                { "type": "function_call", "call_id": "call_rehearsal_aa_3_p0", "name": "exec_command", "arguments": "{}" },
                { "type": "function_call_output", "call_id": "call_rehearsal_aa_3_p0", "output": "ok" },
                { "type": "message", "role": "assistant", "content": [ { "type": "output_text", "text": "next" } ] },
                { "type": "function_call", "call_id": "call_rehearsal_bb_1_p2", "name": "exec_command", "arguments": "{}" },
                { "type": "function_call_output", "call_id": "call_rehearsal_bb_1_p2", "output": "ok" } ] }
            """);

        c.Position.ShouldBe(3);
    }

    [Fact]
    public void A_claude_request_says_the_persons_message_beside_a_tool_result_even_when_claude_appends_a_system_nudge_after_it()
    {
        // claude 2.1.332 ends a long turn's request with a system message of its own after the user's.
        var c = Anthropic("""
            { "messages": [
                { "role": "user", "content": "the brief" },
                { "role": "assistant", "content": [ { "type": "tool_use", "id": "toolu_rehearsal_aa_1_0_p0", "name": "Bash", "input": {} } ] },
                { "role": "user", "content": [
                    { "type": "tool_result", "tool_use_id": "toolu_rehearsal_aa_1_0_p0", "content": "ok" },
                    { "type": "text", "text": "The user sent a new message while you were working:\nuse pnpm" } ] },
                { "role": "system", "content": [ { "type": "text", "text": "The user hasn't heard from you in a while." } ] } ] }
            """);

        (c.Position, c.Prompt, c.Said).ShouldBe((1, "the brief", "The user sent a new message while you were working:\nuse pnpm"));
    }

    [Fact]
    public void A_claude_request_says_the_persons_message_an_older_model_gets_inside_the_tool_result()
    {
        // claude 2.1.332 with claude-sonnet-4-5: the message is a reminder in the tool result's text.
        var c = Anthropic("""
            { "messages": [
                { "role": "user", "content": "the brief" },
                { "role": "assistant", "content": [ { "type": "tool_use", "id": "t1", "name": "Bash", "input": {} } ] },
                { "role": "user", "content": [ { "type": "tool_result", "tool_use_id": "t1", "content": "(Bash completed with no output)\n\n<system-reminder>\nThe user sent a new message while you were working:\nuse pnpm, not npm\n\nAddress the message above as you continue this turn.\n</system-reminder>\n\n<system-reminder>\n<total_tokens>14998900 tokens left</total_tokens>\n</system-reminder>" } ] } ] }
            """);

        c.Said.ShouldBe("The user sent a new message while you were working:\nuse pnpm, not npm\n\nAddress the message above as you continue this turn.");
        c.Position.ShouldBe(1);
    }

    [Fact]
    public void A_claude_request_says_nothing_when_only_tool_results_and_reminders_came_since_the_model_spoke()
    {
        var c = Anthropic("""
            { "messages": [
                { "role": "user", "content": "the brief" },
                { "role": "assistant", "content": [ { "type": "tool_use", "id": "t1", "name": "Bash", "input": {} } ] },
                { "role": "user", "content": [ { "type": "tool_result", "tool_use_id": "t1", "content": "ok" }, { "type": "text", "text": "<system-reminder>x</system-reminder>" } ] },
                { "role": "system", "content": "nudge" } ] }
            """);

        c.Said.ShouldBeNull();
    }

    private const string CodexStart = """
        { "type": "message", "role": "developer", "content": [ { "type": "input_text", "text": "rules" } ] },
        { "type": "message", "role": "user", "content": [ { "type": "input_text", "text": "<environment_context>\n  <cwd>/tmp/cx</cwd>\n</environment_context>" } ] },
        { "type": "message", "role": "user", "content": [ { "type": "input_text", "text": "the brief" } ] },
        { "type": "function_call", "call_id": "call_rehearsal_aa_1_p0", "name": "exec_command", "arguments": "{}" },
        { "type": "function_call_output", "call_id": "call_rehearsal_aa_1_p0", "output": "ok" },
        { "type": "function_call", "call_id": "call_rehearsal_aa_2_p1", "name": "exec_command", "arguments": "{}" },
        { "type": "function_call_output", "call_id": "call_rehearsal_aa_2_p1", "output": "ok" }
        """;

    private static string User(string text) => new JsonObject
    {
        ["type"] = "message", ["role"] = "user", ["content"] = new JsonArray(new JsonObject { ["type"] = "input_text", ["text"] = text }),
    }.ToJsonString();

    public static TheoryData<string, int, string, string?> CodexHistories => new()
    {
        // turn/steer after a tool output: the turn goes on, so does its script.
        { User("use pnpm"), 2, "the brief", "use pnpm" },
        // Two messages steered into the same tool call.
        { User("use pnpm") + "," + User("and yarn never"), 2, "the brief", "use pnpm\nand yarn never" },
        // A denial's message, steered before the decline's output: the script goes on past the denied call.
        { """{ "type": "function_call", "call_id": "call_rehearsal_aa_3_p2", "name": "exec_command", "arguments": "{}" }, { "type": "function_call_output", "call_id": "call_rehearsal_aa_3_p2", "output": "rejected by user" }, """ + User("No data loss"), 3, "the brief", "No data loss" },
        // A steered message, then the model called another tool: the position counts on from its call id.
        { User("use pnpm") + """, { "type": "function_call", "call_id": "call_rehearsal_aa_3_p2", "name": "exec_command", "arguments": "{}" }, { "type": "function_call_output", "call_id": "call_rehearsal_aa_3_p2", "output": "ok" }""", 3, "the brief", null },
        // --now: codex notes the interrupt, and the message is a new turn.
        { User("<turn_aborted>\nThe user interrupted the previous turn on purpose.\n</turn_aborted>") + "," + User("stop now"), 0, "stop now", "stop now" },
        // A new turn after the model's last word (a resumed thread's next brief).
        { """{ "type": "message", "role": "assistant", "content": [ { "type": "output_text", "text": "Done." } ] }, """ + User("the next brief"), 0, "the next brief", "the next brief" },
    };

    [Theory]
    [MemberData(nameof(CodexHistories))]
    public void A_codex_message_steered_into_a_running_turn_keeps_the_script_where_it_was_and_a_new_turn_starts_it_again(string after, int position, string prompt, string? said)
    {
        var c = OpenAI($$"""{ "input": [ {{CodexStart}}, {{after}} ] }""");

        (c.Position, c.Prompt, c.Said).ShouldBe((position, prompt, said));
    }
}
